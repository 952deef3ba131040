import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OutgoingEvent, TraceCarrier } from '@orderflow/messaging';
import { PermanentEventError } from '@orderflow/messaging';
import { LastWrite, meter } from '@orderflow/service-defaults';
import { plan, SagaEvent, TERMINAL_STATUSES, Transition } from '../order/order-state-machine';
import { currentHistoryEntry } from '../order/order-snapshot';
import { OrderStatusRecorder } from '../order/order-status-recorder';
import { LockedOrder, lockOrders, ParkedEvent, RunChanges, runWrite } from './saga-run-store';

export type ApplyOutcome = 'applied' | 'parked' | 'stale';

/** One saga event of a consumer run. */
export interface RunEvent {
  orderId: string;
  eventId: string;
  event: SagaEvent;
  /** Of the event's consumer span; kept if the event is parked. */
  trace: TraceCarrier;
}

/** An OrderStatusChanged to publish, and which event of the run caused it. */
export interface StatusChangeOfRun {
  /** Index of the run's event that was being applied (its correlation, and its trace unless `trace`). */
  index: number;
  change: OutgoingEvent<'OrderStatusChanged'>;
  /** The trace of the parked event that caused the change, when one did. */
  trace?: TraceCarrier;
}

/**
 * Applies a run of saga events to their orders: locks all of them in one statement, applies each
 * event in run order in memory (its transition if the precondition holds, then every parked
 * event it unlocks; early events are parked, stale ones are no-ops), and returns every change as
 * one statement (`write`) for the consumer to send with its COMMIT. The same effects as one event
 * at a time, in a constant number of round trips.
 */
@Injectable()
export class ApplySagaEvents {
  // Created here, not at import: the meter provider is installed when the service starts.
  private readonly sagaDuration = meter().createHistogram('saga.duration', {
    description: 'Time from order creation (PENDING) to a terminal status, by outcome',
    unit: 's',
  });

  constructor(private readonly recorder: OrderStatusRecorder) {}

  async applyRun(
    manager: EntityManager,
    events: RunEvent[],
  ): Promise<{ outcomes: ApplyOutcome[]; published: StatusChangeOfRun[]; write?: LastWrite }> {
    const orders = await lockOrders(manager, [...new Set(events.map((e) => e.orderId))].sort());
    const changes: RunChanges = { orders: [], unparked: [], parked: [] };
    const published: StatusChangeOfRun[] = [];
    const outcomes = events.map((incoming, index) => {
      const locked = orders.get(incoming.orderId);
      // The order commits before OrderCreated is published, so every later event finds it.
      if (!locked)
        throw new PermanentEventError(`${incoming.event.type} for unknown order ${incoming.orderId}`);
      const { outcome, statusChanges } = this.applyOne(locked, incoming, changes);
      for (const { change, trace } of statusChanges) published.push({ index, change, trace });
      return outcome;
    });
    changes.orders = [...new Set(changes.orders)];
    return { outcomes, published, write: runWrite(changes) };
  }

  private applyOne(
    locked: LockedOrder,
    incoming: RunEvent,
    changes: RunChanges,
  ): {
    outcome: ApplyOutcome;
    statusChanges: Array<{ change: OutgoingEvent<'OrderStatusChanged'>; trace?: TraceCarrier }>;
  } {
    const result = plan(locked.order.status, incoming.event, locked.parked);
    const statusChanges = result.steps.map((step) => {
      const parked = step.source === 'incoming' ? undefined : step.source;
      const change = this.transition(locked, step.decision, parked?.eventId ?? incoming.eventId, changes);
      return { change, trace: parked?.trace };
    });
    for (const consumed of result.consumed) unpark(locked, consumed, changes);
    if (result.parkIncoming) {
      const { orderId, eventId, event, trace } = incoming;
      const entry = { orderId, eventId, event, trace };
      locked.parked.push({ id: undefined, eventId, event, trace });
      changes.parked.push(entry);
      return { outcome: 'parked', statusChanges };
    }
    const applied = result.steps.some((s) => s.source === 'incoming');
    return { outcome: applied ? 'applied' : 'stale', statusChanges };
  }

  /** Applies one transition to the locked order, history included; returns its OrderStatusChanged. */
  private transition(
    locked: LockedOrder,
    to: Transition,
    causationId: string,
    changes: RunChanges,
  ): OutgoingEvent<'OrderStatusChanged'> {
    const { order } = locked;
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
    order.history = [...order.history, currentHistoryEntry(order, at)];
    changes.orders.push(order);
    if (TERMINAL_STATUSES.has(order.status)) {
      this.sagaDuration.record((at.getTime() - order.createdAt.getTime()) / 1000, { outcome: order.status });
    }
    return this.recorder.statusChanged(order, { previousStatus, at, causationId });
  }
}

/** Takes a parked event off the order: deleted if stored, never written if parked by this run. */
function unpark(locked: LockedOrder, consumed: ParkedEvent, changes: RunChanges): void {
  locked.parked = locked.parked.filter((p) => p !== consumed);
  if (consumed.id !== undefined) changes.unparked.push(consumed.id);
  else changes.parked = changes.parked.filter((p) => p.eventId !== consumed.eventId);
}
