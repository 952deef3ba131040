import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { PermanentEventError } from '@orderflow/messaging';
import { meter } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import { plan, SagaEvent, TERMINAL_STATUSES, Transition } from '../order/order-state-machine';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { ParkedEventEntity } from '../order/parked-event.entity';

export type ApplyOutcome = 'applied' | 'parked' | 'stale';

/**
 * Applies one saga event to its order under a row lock: the transition (if its precondition
 * holds), then every parked event it unlocks. Early events are parked; stale ones are no-ops.
 */
@Injectable()
export class ApplySagaEvent {
  // Created here, not at import: the meter provider is installed when the service starts.
  private readonly sagaDuration = meter().createHistogram('saga.duration', {
    description: 'Time from order creation (PENDING) to a terminal status, by outcome',
    unit: 's',
  });

  constructor(private readonly recorder: OrderStatusRecorder) {}

  async apply(
    manager: EntityManager,
    orderId: string,
    eventId: string,
    event: SagaEvent,
  ): Promise<ApplyOutcome> {
    const order = await manager.findOne(OrderEntity, {
      where: { id: orderId },
      lock: { mode: 'pessimistic_write' },
    });
    // The order commits before OrderCreated is published, so every later event finds it.
    if (!order) throw new PermanentEventError(`${event.type} for unknown order ${orderId}`);
    const parked = await manager.find(ParkedEventEntity, { where: { orderId }, order: { id: 'ASC' } });
    const result = plan(order.status, event, parked);

    for (const step of result.steps) {
      const causationId = step.source === 'incoming' ? eventId : step.source.eventId;
      await this.transition(manager, order, step.decision, causationId);
    }
    if (result.consumed.length > 0) {
      await manager.delete(ParkedEventEntity, { id: In(result.consumed.map((p) => p.id)) });
    }
    if (result.parkIncoming) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(ParkedEventEntity)
        .values({ orderId, eventId, eventType: event.type, event })
        .orIgnore()
        .execute();
      return 'parked';
    }
    return result.steps.some((s) => s.source === 'incoming') ? 'applied' : 'stale';
  }

  private async transition(manager: EntityManager, order: OrderEntity, to: Transition, causationId: string) {
    const previousStatus = order.status;
    const at = new Date();
    order.status = to.to;
    order.version += 1;
    order.reason = to.reason;
    order.updatedAt = at;
    if (to.pricing) {
      const prices = new Map(to.pricing.items.map((line) => [line.sku, line.unitPriceCents]));
      order.items = order.items.map((line) => ({ ...line, unitPriceCents: prices.get(line.sku) ?? null }));
      order.totalCents = to.pricing.totalCents;
      order.currency = to.pricing.currency;
    }
    await manager.update(
      OrderEntity,
      { id: order.id },
      {
        status: order.status,
        version: order.version,
        reason: order.reason,
        updatedAt: at,
        items: order.items,
        totalCents: order.totalCents,
        currency: order.currency,
      },
    );
    await this.recorder.record(manager, order, { previousStatus, at, causationId });
    if (TERMINAL_STATUSES.has(order.status)) {
      this.sagaDuration.record((at.getTime() - order.createdAt.getTime()) / 1000, { outcome: order.status });
    }
  }
}
