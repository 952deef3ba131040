import { randomUUIDv7 } from 'node:crypto';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import {
  BatchEventContext,
  EventBatchPattern,
  firstPerKey,
  IncomingEvent,
  PermanentEventError,
} from '@orderflow/messaging';
import type { LastWrite } from '@orderflow/service-defaults';
import type { ReservationDecision, StockRow } from './reservation-decision';
import { decideInRunOrder, StockTaken } from './reservation-run';

export type ReserveOutcome = 'reserved' | 'rejected' | 'already-decided';

type OrderCreated = IncomingEvent<'OrderCreated'>;

/** An order whose reservation row this run inserted: it is this run's to decide. */
interface ClaimedOrder {
  event: OrderCreated;
  reservationId: string;
  items: OrderCreated['payload']['items'];
}

type FinalDecision = Exclude<ReservationDecision, { outcome: 'mixed-currency' }>;

interface DecidedOrder {
  order: ClaimedOrder;
  decision: FinalDecision;
}

/**
 * OrderCreated → reserve every line or none, for a whole consumer run in three statements:
 * 1. claim a reservation row per order (unique per order: an order decided before is skipped);
 * 2. lock the products of every claimed order at once, in SKU order;
 * 3. write all decisions (stock, lines, reservations) at once, sent with the COMMIT.
 * The orders are decided in between, in memory and in run order, each seeing what the ones
 * before it took. The product locks are taken in one sorted statement per transaction, so runs
 * sharing SKUs wait for each other instead of deadlocking, and they are held for the run's last
 * few round trips only, not from its first event to its commit.
 */
@Controller()
export class ReserveStockHandler {
  private readonly logger = new Logger(ReserveStockHandler.name);

  @EventBatchPattern(['OrderCreated'])
  async handle(@Payload() events: OrderCreated[], @Ctx() ctx: BatchEventContext): Promise<ReserveOutcome[]> {
    events.forEach(refuseRepeatedSkus);
    const claimed = await claimReservations(ctx.manager, events);
    const decided = claimed.length > 0 ? await decideClaimed(ctx, claimed) : [];
    const outcomes = new Map<string, ReserveOutcome>();
    for (const { order, decision } of decided) {
      publishDecision(ctx, order, decision);
      outcomes.set(order.event.eventId, decision.outcome === 'reserve' ? 'reserved' : 'rejected');
    }
    return events.map((event) => outcomes.get(event.eventId) ?? this.alreadyDecided(event));
  }

  private alreadyDecided(event: OrderCreated): 'already-decided' {
    this.logger.log(`order ${event.payload.orderId} already has a reservation decision; nothing to do`);
    return 'already-decided';
  }
}

function refuseRepeatedSkus(event: OrderCreated): void {
  const { orderId, items } = event.payload;
  if (new Set(items.map((line) => line.sku)).size !== items.length) {
    throw new PermanentEventError(`order ${orderId} lists a SKU twice`);
  }
}

/** The catalog is single-currency; an order across two is a bug upstream, not a rejection. */
function refuseMixedCurrency(order: ClaimedOrder, decision: ReservationDecision): FinalDecision {
  if (decision.outcome === 'mixed-currency') {
    throw new PermanentEventError(
      `order ${order.event.payload.orderId} mixes currencies ${decision.currencies.join(', ')}`,
    );
  }
  return decision;
}

/**
 * Inserts a RESERVED reservation for the first event of each order; returns those it inserted, in
 * run order. An order with a reservation already was decided by an earlier delivery. A concurrent
 * delivery of the same order waits here (unique order_id) for the first to commit, then skips it
 * (under the consumer it already waited for the order's advisory lock, in the inbox statement).
 */
async function claimReservations(manager: EntityManager, events: OrderCreated[]): Promise<ClaimedOrder[]> {
  const candidates = firstPerKey(events, (event) => event.payload.orderId).map((event) => ({
    event,
    reservationId: randomUUIDv7(),
    items: event.payload.items,
  }));
  const rows: Array<{ id: string }> = await manager.query(
    `insert into reservations (id, order_id, customer_id, status)
     select id, order_id, customer_id, 'RESERVED' from unnest($1::uuid[], $2::text[], $3::text[])
       as c (id, order_id, customer_id)
     on conflict (order_id) do nothing returning id`,
    [
      candidates.map((c) => c.reservationId),
      candidates.map((c) => c.event.payload.orderId),
      candidates.map((c) => c.event.payload.customerId),
    ],
  );
  const inserted = new Set(rows.map((row) => row.id));
  return candidates.filter((c) => inserted.has(c.reservationId));
}

/**
 * Locks the claimed orders' stock and decides them in run order: one statement, and the decisions'
 * write queued for the COMMIT.
 */
async function decideClaimed(ctx: BatchEventContext, claimed: ClaimedOrder[]): Promise<DecidedOrder[]> {
  const stock = await lockStock(ctx.manager, skusOf(claimed));
  const { decided, taken } = decideInRunOrder(claimed, stock);
  const final = decided.map(({ order, decision }) => ({
    order,
    decision: refuseMixedCurrency(order, decision),
  }));
  ctx.writeAtCommit(decisionsWrite(final, taken));
  return final;
}

function skusOf(orders: ClaimedOrder[]): string[] {
  return [...new Set(orders.flatMap((order) => order.items.map((line) => line.sku)))];
}

/** Locks the rows of the given SKUs, always in SKU order; unknown SKUs simply have no row. */
async function lockStock(manager: EntityManager, skus: string[]): Promise<StockRow[]> {
  const rows: Array<{ sku: string; price_cents: number; currency: string; available: number }> =
    await manager.query(
      `select sku, price_cents, currency, available from products where sku = any($1) order by sku for update`,
      [skus],
    );
  return rows.map((row) => ({
    sku: row.sku,
    priceCents: row.price_cents,
    currency: row.currency,
    available: row.available,
  }));
}

/**
 * One statement for the whole run: the products' counters (one update per SKU, by what the run
 * takes of it in total), every reserved line, and every reservation's outcome. The product rows
 * are already locked (lockStock).
 */
function decisionsWrite(decided: DecidedOrder[], taken: StockTaken[]): LastWrite {
  const lines = decided.flatMap(({ order, decision }) =>
    decision.outcome === 'reserve'
      ? decision.lines.map((line) => ({ reservationId: order.reservationId, ...line }))
      : [],
  );
  const outcomes = decided.map(reservationOutcome);
  return {
    sql: `with stock as (
       update products p
          set available = p.available - t.quantity, reserved = p.reserved + t.quantity, updated_at = now()
         from unnest($1::text[], $2::int[]) as t (sku, quantity)
        where p.sku = t.sku
     ), reserved_lines as (
       insert into reservation_lines (reservation_id, sku, quantity, unit_price_cents)
       select * from unnest($3::uuid[], $4::text[], $5::int[], $6::int[])
     )
     update reservations r
        set status = d.status, reason = d.reason, total_cents = d.total_cents, currency = d.currency,
            updated_at = now()
       from unnest($7::uuid[], $8::text[], $9::text[], $10::bigint[], $11::text[])
         as d (id, status, reason, total_cents, currency)
      where r.id = d.id`,
    params: [
      taken.map((t) => t.sku),
      taken.map((t) => t.quantity),
      lines.map((line) => line.reservationId),
      lines.map((line) => line.sku),
      lines.map((line) => line.quantity),
      lines.map((line) => line.unitPriceCents),
      outcomes.map((o) => o.id),
      outcomes.map((o) => o.status),
      outcomes.map((o) => o.reason),
      outcomes.map((o) => o.totalCents),
      outcomes.map((o) => o.currency),
    ],
  };
}

/** What the reservation row records: the price of a reserved order, the reason of a rejected one. */
function reservationOutcome({ order, decision }: DecidedOrder) {
  const id = order.reservationId;
  return decision.outcome === 'reserve'
    ? { id, status: 'RESERVED', reason: null, totalCents: decision.totalCents, currency: decision.currency }
    : { id, status: 'REJECTED', reason: decision.reason, totalCents: null, currency: null };
}

function publishDecision(ctx: BatchEventContext, order: ClaimedOrder, decision: FinalDecision): void {
  const { orderId, customerId } = order.event.payload;
  if (decision.outcome === 'reserve') {
    ctx.publish(order.event, 'InventoryReserved', {
      orderId,
      customerId,
      reservationId: order.reservationId,
      items: decision.lines,
      totalCents: decision.totalCents,
      currency: decision.currency,
    });
  } else {
    ctx.publish(order.event, 'InventoryRejected', {
      orderId,
      customerId,
      reason: decision.reason,
      skus: decision.skus,
    });
  }
}
