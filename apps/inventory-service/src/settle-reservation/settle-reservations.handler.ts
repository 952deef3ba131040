import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { OrderLine } from '@orderflow/contracts';
import { BatchEventContext, EventBatchPattern, firstPerKey, IncomingEvent } from '@orderflow/messaging';
import type { LastWrite } from '@orderflow/service-defaults';

export type SettleOutcome = 'committed' | 'released' | 'not-reserved';

export type PaymentEvent = IncomingEvent<'PaymentProcessed'> | IncomingEvent<'PaymentFailed'>;

/** A reservation this run moved out of RESERVED, and the event that did it. */
interface SettledReservation {
  event: PaymentEvent;
  reservationId: string;
}

/**
 * PaymentProcessed → the reserved units are sold (`reserved` shrinks, `sold` grows, so for every
 * product the stock it ever received = available + reserved + sold). PaymentFailed → they go
 * back to `available`, exactly once, and InventoryReleased says so. A whole consumer run in two
 * statements: finish the reservations still RESERVED, then move their quantities (locking the
 * products in SKU order first; sent with the COMMIT when no release needs its lines). Both payment events share this handler so that a run of the
 * payments topic is one call: one sorted product lock per transaction, whatever the mix.
 */
@Controller()
export class SettleReservationsHandler {
  private readonly logger = new Logger(SettleReservationsHandler.name);

  @EventBatchPattern(['PaymentProcessed', 'PaymentFailed'])
  async handle(@Payload() events: PaymentEvent[], @Ctx() ctx: BatchEventContext): Promise<SettleOutcome[]> {
    const settled = await finishReservations(
      ctx.manager,
      firstPerKey(events, (event) => event.payload.orderId),
    );
    const releasedLines = await moveReservedStock(ctx, settled);
    const outcomes = new Map<string, SettleOutcome>();
    for (const { event, reservationId } of settled) {
      if (event.type === 'PaymentFailed') {
        const { orderId, customerId, reason } = event.payload;
        const items = releasedLines.get(reservationId) ?? [];
        ctx.publish(event, 'InventoryReleased', { orderId, customerId, reservationId, items, reason });
      }
      outcomes.set(event.eventId, event.type === 'PaymentFailed' ? 'released' : 'committed');
    }
    return events.map((event) => outcomes.get(event.eventId) ?? this.notReserved(event));
  }

  private notReserved(event: PaymentEvent): 'not-reserved' {
    this.logger.log(`order ${event.payload.orderId} has no held reservation to settle; nothing to do`);
    return 'not-reserved';
  }
}

/**
 * Moves each order's reservation from RESERVED to COMMITTED (payment processed) or RELEASED (failed,
 * with the decline code as reason); returns those it moved. Reservations not RESERVED (never
 * reserved, or settled before) are left alone: this conditional update is what makes the stock
 * movement happen at most once, whatever the redelivery or concurrency. `events` holds one event
 * per order: a later one in the run would find the reservation settled by the first.
 */
async function finishReservations(
  manager: EntityManager,
  events: PaymentEvent[],
): Promise<SettledReservation[]> {
  // TypeORM returns [rows, affected count] for an UPDATE.
  const [rows]: [Array<{ order_id: string; id: string }>, number] = await manager.query(
    `update reservations r set status = s.status, reason = coalesce(s.reason, r.reason), updated_at = now()
       from unnest($1::text[], $2::text[], $3::text[]) as s (order_id, status, reason)
      where r.order_id = s.order_id and r.status = 'RESERVED'
     returning r.order_id, r.id`,
    [
      events.map((event) => event.payload.orderId),
      events.map((event) => (event.type === 'PaymentFailed' ? 'RELEASED' : 'COMMITTED')),
      events.map((event) => (event.type === 'PaymentFailed' ? event.payload.reason : null)),
    ],
  );
  const reservationOf = new Map(rows.map((row) => [row.order_id, row.id]));
  return events.flatMap((event) => {
    const reservationId = reservationOf.get(event.payload.orderId);
    return reservationId ? [{ event, reservationId }] : [];
  });
}

/**
 * Moves the settled reservations' quantities out of `reserved`, summed per product: to `sold` for
 * committed ones, back to `available` for released ones. Returns the released reservations' lines,
 * sorted by SKU. One statement: the `locked` CTE runs first (the update's condition needs it) and
 * locks the rows in SKU order, like reserving, so this never deadlocks with it; the update then only
 * touches rows this transaction already holds. A run that releases nothing needs no answer: its
 * statement goes with the COMMIT, and the product rows are locked for that round trip only.
 */
async function moveReservedStock(
  ctx: BatchEventContext,
  settled: SettledReservation[],
): Promise<Map<string, OrderLine[]>> {
  const lines = new Map<string, OrderLine[]>();
  if (settled.length === 0) return lines;
  const move = stockMove(settled);
  if (settled.every((s) => s.event.type === 'PaymentProcessed')) {
    ctx.writeAtCommit(move);
    return lines;
  }
  const rows: Array<{ reservation_id: string; sku: string; quantity: number }> = await ctx.manager.query(
    move.sql,
    move.params,
  );
  for (const row of rows) {
    const reservation = lines.get(row.reservation_id) ?? [];
    reservation.push({ sku: row.sku, quantity: row.quantity });
    lines.set(row.reservation_id, reservation);
  }
  return lines;
}

function stockMove(settled: SettledReservation[]): LastWrite {
  return {
    sql: `with moving as (
       select l.reservation_id, l.sku, l.quantity, m.destination
         from reservation_lines l
         join unnest($1::uuid[], $2::text[]) as m (reservation_id, destination) using (reservation_id)
     ), per_sku as (
       select sku,
              coalesce(sum(quantity) filter (where destination = 'sold'), 0)::int as sold,
              coalesce(sum(quantity) filter (where destination = 'available'), 0)::int as available
         from moving group by sku
     ), locked as (
       select p.sku from products p join per_sku using (sku) order by p.sku for update of p
     ), moved as (
       update products p
          set reserved = p.reserved - m.sold - m.available, sold = p.sold + m.sold,
              available = p.available + m.available, updated_at = now()
         from per_sku m
        where p.sku = m.sku and (select count(*) from locked) >= 0
     )
     select reservation_id, sku, quantity from moving where destination = 'available'
      order by reservation_id, sku`,
    params: [
      settled.map((s) => s.reservationId),
      settled.map((s) => (s.event.type === 'PaymentFailed' ? 'available' : 'sold')),
    ],
  };
}
