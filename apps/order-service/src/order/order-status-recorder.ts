import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OrderStatus } from '@orderflow/contracts';
import { OutboxWriter } from '@orderflow/messaging';
import { OrderEntity, OrderHistoryEntity } from './order.entity';
import { toSnapshot } from './order-snapshot';

/**
 * Records one status change of an order inside the caller's transaction: the history row and
 * OrderStatusChanged (with the full snapshot) in the outbox. The order row itself is saved by the caller.
 */
@Injectable()
export class OrderStatusRecorder {
  constructor(private readonly outbox: OutboxWriter) {}

  async record(
    manager: EntityManager,
    order: OrderEntity,
    change: { previousStatus: OrderStatus | null; at: Date; causationId: string | null },
  ): Promise<void> {
    await manager.insert(OrderHistoryEntity, {
      orderId: order.id,
      version: order.version,
      status: order.status,
      reason: order.reason,
      at: change.at,
    });
    const history = await manager.find(OrderHistoryEntity, { where: { orderId: order.id } });
    await this.outbox.record(manager, {
      type: 'OrderStatusChanged',
      payload: {
        orderId: order.id,
        customerId: order.customerId,
        status: order.status,
        previousStatus: change.previousStatus,
        version: order.version,
        reason: order.reason,
        occurredAt: change.at.toISOString(),
        order: toSnapshot(order, history),
      },
      correlationId: order.id,
      causationId: change.causationId,
    });
  }
}
