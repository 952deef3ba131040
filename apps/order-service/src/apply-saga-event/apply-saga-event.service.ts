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
    const locked = await lockOrder(manager, orderId);
    // The order commits before OrderCreated is published, so every later event finds it.
    if (!locked) throw new PermanentEventError(`${event.type} for unknown order ${orderId}`);
    const { order } = locked;
    let { history, parked } = locked;
    // History and parked events were read with the snapshot the statement started with. Had it
    // waited for the row lock, the holder's commit would be missing from them: read them again.
    if (history.at(-1)?.version !== order.version)
      ({ history, parked } = await loadHistoryAndParked(manager, orderId));
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

const HISTORY_AND_PARKED = `
  coalesce((select json_agg(json_build_object('status', status, 'version', version, 'reason', reason,
                            'at', (extract(epoch from at) * 1000)::float8) order by version)
            from order_history where order_id = $1), '[]'::json) as history,
  coalesce((select json_agg(json_build_object('id', id::text, 'eventId', event_id, 'event', event) order by id)
            from parked_events where order_id = $1), '[]'::json) as parked`;

interface HistoryAndParkedRow {
  history: Array<Omit<HistoryEntry, 'at'> & { at: number }>;
  parked: ParkedRow[];
}

/**
 * Locks the order's row and reads it with its history and parked events, in one round trip. The
 * consumer already holds the order's advisory lock (taken with the inbox record, see
 * EventProcessor.recordInbox), as does every transaction that changes the order, so the row
 * lock is normally granted at once and the statement's snapshot is current.
 */
async function lockOrder(
  manager: EntityManager,
  orderId: string,
): Promise<{ order: OrderEntity; history: HistoryEntry[]; parked: ParkedRow[] } | undefined> {
  const [row]: Array<OrderRow & HistoryAndParkedRow> = await manager.query(
    `select o.id, o.customer_id, o.status, o.version, o.items, o.total_cents, o.currency, o.reason,
            o.payment_token, o.shipping_address, o.created_at, o.updated_at, ${HISTORY_AND_PARKED}
       from orders o where o.id = $1 for update of o`,
    [orderId],
  );
  if (!row) return undefined;
  const order = Object.assign(new OrderEntity(), {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    version: row.version,
    items: row.items,
    totalCents: row.total_cents === null ? null : Number(row.total_cents),
    currency: row.currency,
    reason: row.reason,
    paymentToken: row.payment_token,
    shippingAddress: row.shipping_address,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  return { order, ...fromRow(row) };
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderEntity['status'];
  version: number;
  items: OrderEntity['items'];
  total_cents: string | null;
  currency: string | null;
  reason: string | null;
  payment_token: string;
  shipping_address: OrderEntity['shippingAddress'];
  created_at: Date;
  updated_at: Date;
}

function fromRow(row: HistoryAndParkedRow): { history: HistoryEntry[]; parked: ParkedRow[] } {
  return {
    history: row.history.map((h) => ({ ...h, at: new Date(Math.round(h.at)) })),
    parked: row.parked,
  };
}

/** The order's history and its parked events (oldest first), in one round trip. */
async function loadHistoryAndParked(
  manager: EntityManager,
  orderId: string,
): Promise<{ history: HistoryEntry[]; parked: ParkedRow[] }> {
  const [row]: HistoryAndParkedRow[] = await manager.query(`select ${HISTORY_AND_PARKED}`, [orderId]);
  return fromRow(row);
}
