import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { OutboxWriter, OutgoingEvent, PermanentEventError } from '@orderflow/messaging';
import { meter } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import { plan, SagaEvent, TERMINAL_STATUSES, Transition } from '../order/order-state-machine';
import { HistoryEntry } from '../order/order-snapshot';
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

  constructor(
    private readonly recorder: OrderStatusRecorder,
    private readonly outbox: OutboxWriter,
  ) {}

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
    // A statement of its own, after the lock: its snapshot sees what the previous holder committed.
    const { history, parked } = await loadHistoryAndParked(manager, orderId);
    const result = plan(order.status, event, parked);

    const changes: Array<OutgoingEvent<'OrderStatusChanged'>> = [];
    for (const step of result.steps) {
      const causationId = step.source === 'incoming' ? eventId : step.source.eventId;
      changes.push(await this.transition(manager, order, history, step.decision, causationId));
    }
    if (changes.length > 0) await this.outbox.record(manager, changes);
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

  /** Applies one transition to `order` and `history` and saves it; returns its OrderStatusChanged. */
  private async transition(
    manager: EntityManager,
    order: OrderEntity,
    history: HistoryEntry[],
    to: Transition,
    causationId: string,
  ): Promise<OutgoingEvent<'OrderStatusChanged'>> {
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
    await this.recorder.updateOrder(manager, order);
    history.push({ status: order.status, version: order.version, reason: order.reason, at });
    if (TERMINAL_STATUSES.has(order.status)) {
      this.sagaDuration.record((at.getTime() - order.createdAt.getTime()) / 1000, { outcome: order.status });
    }
    return this.recorder.statusChanged(order, history, { previousStatus, at, causationId });
  }
}

interface ParkedRow {
  id: string;
  eventId: string;
  event: SagaEvent;
}

/** The order's history and its parked events (oldest first), in one round trip. */
async function loadHistoryAndParked(
  manager: EntityManager,
  orderId: string,
): Promise<{ history: HistoryEntry[]; parked: ParkedRow[] }> {
  const [row]: Array<{
    history: Array<Omit<HistoryEntry, 'at'> & { at: number }>;
    parked: ParkedRow[];
  }> = await manager.query(
    `select
       coalesce((select json_agg(json_build_object('status', status, 'version', version, 'reason', reason,
                                 'at', (extract(epoch from at) * 1000)::float8) order by version)
                 from order_history where order_id = $1), '[]'::json) as history,
       coalesce((select json_agg(json_build_object('id', id::text, 'eventId', event_id, 'event', event) order by id)
                 from parked_events where order_id = $1), '[]'::json) as parked`,
    [orderId],
  );
  return {
    history: row.history.map((h) => ({ ...h, at: new Date(Math.round(h.at)) })),
    parked: row.parked,
  };
}
