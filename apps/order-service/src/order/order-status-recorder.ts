import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OrderStatus } from '@orderflow/contracts';
import type { OutgoingEvent } from '@orderflow/messaging';
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
   * Inserts new orders in one statement, with the CTEs `along` returns (e.g.
   * OutboxWriter.insertCte: its parameters are numbered from the one it is given). The orders go as
   * one JSON parameter, so the statement's text, and its prepared plan, is the same for any number.
   */
  async insertOrders(
    manager: EntityManager,
    orders: OrderEntity[],
    along?: (firstParam: number) => { sql: string; params: unknown[] },
  ): Promise<void> {
    const extra = along?.(2);
    await manager.query(
      `with inserted as (
         insert into orders (id, customer_id, status, version, items, total_cents, currency, reason,
                             payment_token, shipping_address, created_at, updated_at, history)
         select id, customer_id, status, version, items, total_cents, currency, reason,
                payment_token, shipping_address, created_at, updated_at, history
           from json_to_recordset($1::json) as o(
                  id uuid, customer_id text, status text, version int, items jsonb, total_cents bigint,
                  currency text, reason text, payment_token text, shipping_address jsonb,
                  created_at timestamptz, updated_at timestamptz, history jsonb)
       )${extra ? `, ${extra.sql}` : ''}
       select 1`,
      [JSON.stringify(orders.map(toInsertedRow)), ...(extra?.params ?? [])],
    );
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
