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
  // One round trip: the `locked` CTE runs first (the update's condition needs it) and locks the
  // rows in SKU order; the update then only touches rows this transaction already holds.
  // TypeORM returns [rows, affected count] for an UPDATE.
  const [lines]: [ReservedLine[], number] = await manager.query(
    `with lines as (
       select sku, quantity from reservation_lines where reservation_id = $1
     ), locked as (
       select p.sku from products p join lines using (sku) order by p.sku for update of p
     )
     update products p set reserved = p.reserved - l.quantity, ${to} = p.${to} + l.quantity, updated_at = now()
       from lines l
      where p.sku = l.sku and (select count(*) from locked) >= 0
     returning p.sku, l.quantity`,
    [reservationId],
  );
  lines.sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
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
