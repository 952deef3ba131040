import type { EntityManager } from 'typeorm';

export interface ReservedLine {
  sku: string;
  quantity: number;
}

/**
 * Moves a finished reservation's quantities out of `reserved`: back to `available` on release, to
 * `sold` on commit. Rows are locked in SKU order, like reserving, so these never deadlock.
 */
export async function moveReservedStock(
  manager: EntityManager,
  reservationId: string,
  to: 'available' | 'sold',
): Promise<ReservedLine[]> {
  const lines: ReservedLine[] = await manager.query(
    `select sku, quantity from reservation_lines where reservation_id = $1 order by sku`,
    [reservationId],
  );
  await manager.query(`select 1 from products where sku = any($1) order by sku for update`, [
    lines.map((l) => l.sku),
  ]);
  for (const line of lines) {
    await manager.query(
      `update products set reserved = reserved - $2, ${to} = ${to} + $2, updated_at = now() where sku = $1`,
      [line.sku, line.quantity],
    );
  }
  return lines;
}

/**
 * Moves the order's reservation from RESERVED to `status` and returns its id, or undefined when it
 * is not RESERVED (never reserved, or already released/committed). The conditional update is what
 * makes the follow-up stock movement happen at most once, whatever the redelivery or concurrency.
 */
export async function finishReservation(
  manager: EntityManager,
  orderId: string,
  status: 'RELEASED' | 'COMMITTED',
  reason: string | null,
): Promise<string | undefined> {
  const [rows]: [Array<{ id: string }>, number] = await manager.query(
    `update reservations set status = $2, reason = coalesce($3, reason), updated_at = now()
     where order_id = $1 and status = 'RESERVED' returning id`,
    [orderId, status, reason],
  );
  return rows[0]?.id;
}
