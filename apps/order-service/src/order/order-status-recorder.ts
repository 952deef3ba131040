import { Injectable } from '@nestjs/common';
import type { OrderStatus } from '@orderflow/contracts';
import type { OutgoingEvent, SqlPart } from '@orderflow/messaging';
import { OrderEntity } from './order.entity';
import { toSnapshot } from './order-snapshot';

export interface StatusChange {
  previousStatus: OrderStatus | null;
  at: Date;
  causationId: string | null;
}

/**
 * Inserts new orders, and builds OrderStatusChanged (with the full snapshot, history included) from
 * the order the caller holds, without reading it back. Later status changes are written a consumer
 * run at a time (apply-saga-event/saga-run-store.ts).
 */
@Injectable()
export class OrderStatusRecorder {
  /**
   * The insert of new orders as a CTE (`inserted`) for a statement of the caller's, its one
   * parameter numbered `firstParam`: the orders as one JSON array, so the statement's text, and its
   * prepared plan, is the same for any number. With `when` (a SQL condition), only if it holds.
   */
  insertOrdersCte(orders: OrderEntity[], firstParam: number, when?: string): SqlPart {
    return {
      sql: `inserted as (
         insert into orders (id, customer_id, status, version, items, total_cents, currency, reason,
                             payment_token, shipping_address, created_at, updated_at, history)
         select id, customer_id, status, version, items, total_cents, currency, reason,
                payment_token, shipping_address, created_at, updated_at, history
           from json_to_recordset($${firstParam}::json) as o(
                  id uuid, customer_id text, status text, version int, items jsonb, total_cents bigint,
                  currency text, reason text, payment_token text, shipping_address jsonb,
                  created_at timestamptz, updated_at timestamptz, history jsonb)${when ? `\n          where ${when}` : ''}
       )`,
      params: [JSON.stringify(orders.map(toInsertedRow))],
    };
  }

  /** OrderStatusChanged for the order's current state; its history includes the current version. */
  statusChanged(order: OrderEntity, change: StatusChange): OutgoingEvent<'OrderStatusChanged'> {
    return {
      type: 'OrderStatusChanged',
      payload: {
        orderId: order.id,
        customerId: order.customerId,
        status: order.status,
        previousStatus: change.previousStatus,
        version: order.version,
        reason: order.reason,
        occurredAt: change.at.toISOString(),
        order: toSnapshot(order),
      },
      correlationId: order.id,
      causationId: change.causationId,
    };
  }
}

/** An order's columns, named as the insert's `json_to_recordset` reads them. */
function toInsertedRow(order: OrderEntity) {
  return {
    id: order.id,
    customer_id: order.customerId,
    status: order.status,
    version: order.version,
    items: order.items,
    total_cents: order.totalCents,
    currency: order.currency,
    reason: order.reason,
    payment_token: order.paymentToken,
    shipping_address: order.shippingAddress,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    history: order.history,
  };
}
