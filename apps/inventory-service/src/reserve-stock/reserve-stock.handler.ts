import { randomUUID } from 'node:crypto';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { EventContext, IncomingEvent, PermanentEventError } from '@orderflow/messaging';
import { decideReservation, StockRow } from './reservation-decision';

export type ReserveOutcome = 'reserved' | 'rejected' | 'already-decided';

/**
 * OrderCreated → reserve every line or none. The reservation row is claimed first (unique per
 * order, so a second delivery waits for the first and then does nothing), then the products are
 * locked in SKU order (no deadlock between orders sharing SKUs) and decided on under the lock,
 * so concurrent orders can never take more than is available.
 */
@Controller()
export class ReserveStockHandler {
  private readonly logger = new Logger(ReserveStockHandler.name);

  @EventPattern('OrderCreated')
  async handle(
    @Payload() event: IncomingEvent<'OrderCreated'>,
    @Ctx() ctx: EventContext,
  ): Promise<ReserveOutcome> {
    const { orderId, customerId, items } = event.payload;
    if (new Set(items.map((line) => line.sku)).size !== items.length) {
      throw new PermanentEventError(`order ${orderId} lists a SKU twice`);
    }
    const reservationId = randomUUID();
    const claimed: unknown[] = await ctx.manager.query(
      `insert into reservations (id, order_id, customer_id, status) values ($1, $2, $3, 'RESERVED')
       on conflict (order_id) do nothing returning id`,
      [reservationId, orderId, customerId],
    );
    if (claimed.length === 0) {
      this.logger.log(`order ${orderId} already has a reservation decision; nothing to do`);
      return 'already-decided';
    }

    const stock = await lockStock(
      ctx.manager,
      items.map((line) => line.sku),
    );
    const decision = decideReservation(items, stock);
    if (decision.outcome === 'mixed-currency') {
      throw new PermanentEventError(`order ${orderId} mixes currencies ${decision.currencies.join(', ')}`);
    }
    if (decision.outcome === 'reject') {
      await ctx.manager.query(
        `update reservations set status = 'REJECTED', reason = $2, updated_at = now() where id = $1`,
        [reservationId, decision.reason],
      );
      await ctx.publish('InventoryRejected', {
        orderId,
        customerId,
        reason: decision.reason,
        skus: decision.skus,
      });
      return 'rejected';
    }

    // One round trip for every line: the product rows are already locked (above, in SKU order).
    const lines = [...decision.lines].sort(bySku);
    await ctx.manager.query(
      `with stock as (
         update products p
            set available = p.available - l.quantity, reserved = p.reserved + l.quantity, updated_at = now()
           from unnest($2::text[], $3::int[]) as l (sku, quantity)
          where p.sku = l.sku
       ), reserved_lines as (
         insert into reservation_lines (reservation_id, sku, quantity, unit_price_cents)
         select $1, * from unnest($2::text[], $3::int[], $4::int[])
       )
       update reservations set total_cents = $5, currency = $6, updated_at = now() where id = $1`,
      [
        reservationId,
        lines.map((line) => line.sku),
        lines.map((line) => line.quantity),
        lines.map((line) => line.unitPriceCents),
        decision.totalCents,
        decision.currency,
      ],
    );
    await ctx.publish('InventoryReserved', {
      orderId,
      customerId,
      reservationId,
      items: decision.lines,
      totalCents: decision.totalCents,
      currency: decision.currency,
    });
    return 'reserved';
  }
}

const bySku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

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
