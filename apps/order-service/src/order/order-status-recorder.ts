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
   * Inserts a new order in one statement, with the CTEs `along` returns
   * (e.g. OutboxWriter.insertCte: its parameters are numbered from the one it is given).
   */
  async insertOrder(
    manager: EntityManager,
    order: OrderEntity,
    along?: (firstParam: number) => { sql: string; params: unknown[] },
  ): Promise<void> {
    const params = [
      order.id,
      order.customerId,
      order.status,
      order.version,
      JSON.stringify(order.items),
      order.totalCents,
      order.currency,
      order.reason,
      order.paymentToken,
      JSON.stringify(order.shippingAddress),
      order.createdAt,
      order.updatedAt,
      JSON.stringify(order.history),
    ];
    const extra = along?.(params.length + 1);
    await manager.query(
      `with inserted as (
         insert into orders (id, customer_id, status, version, items, total_cents, currency, reason,
                             payment_token, shipping_address, created_at, updated_at, history)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       )${extra ? `, ${extra.sql}` : ''}
       select 1`,
      [...params, ...(extra?.params ?? [])],
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
