import { randomUUID } from 'node:crypto';
import { Kafka, Producer } from 'kafkajs';
import {
  EVENT_CATALOG,
  OrderSnapshot,
  OrderStatus,
  OrderStatusChangedV1,
  validateEvent,
} from '@orderflow/contracts';
import { ensureTopics, envelopeHeaders } from '@orderflow/messaging';
import { KAFKA_BROKERS } from './infra';

export const SUCCESS_PATH: OrderStatus[] = ['PENDING', 'INVENTORY_RESERVED', 'PAID', 'SHIPPING_SCHEDULED'];
export const DECLINED_PATH: OrderStatus[] = ['PENDING', 'INVENTORY_RESERVED', 'PAYMENT_FAILED', 'CANCELLED'];

/**
 * An order as order-service would announce it: each `next` is the following `OrderStatusChanged`
 * (version +1, history appended, full snapshot), schema-valid.
 */
export class FakeOrder {
  readonly orderId = randomUUID();
  private snapshot: OrderSnapshot | undefined;

  constructor(readonly customerId: string) {}

  next(status: OrderStatus, reason: string | null = null): OrderStatusChangedV1 {
    const at = new Date().toISOString();
    const previous = this.snapshot;
    const version = (previous?.version ?? 0) + 1;
    const priced = status !== 'PENDING' && status !== 'REJECTED';
    const snapshot: OrderSnapshot = {
      orderId: this.orderId,
      customerId: this.customerId,
      status,
      version,
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: priced ? 1999 : null }],
      totalCents: priced ? 3998 : null,
      currency: priced ? 'EUR' : null,
      reason,
      history: [...(previous?.history ?? []), { status, version, at, reason }],
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
    };
    this.snapshot = snapshot;
    return {
      orderId: this.orderId,
      customerId: this.customerId,
      status,
      previousStatus: previous?.status ?? null,
      version,
      reason,
      occurredAt: at,
      order: snapshot,
    };
  }
}

/** Publishes `OrderStatusChanged` events to the real topic, keyed and enveloped like order-service. */
export class OrderStatusFeed {
  private constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  static async connect(topicPrefix = ''): Promise<OrderStatusFeed> {
    const kafka = new Kafka({ clientId: 'order-status-feed', brokers: KAFKA_BROKERS, logLevel: 1 });
    const topic = `${topicPrefix}${EVENT_CATALOG.OrderStatusChanged.topic}`;
    await ensureTopics(kafka, [topic]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new OrderStatusFeed(producer, topic);
  }

  /** Publishes the events (each a new event id); returns their event ids. */
  async publish(...events: OrderStatusChangedV1[]): Promise<string[]> {
    const sent = events.map((event) => ({ eventId: randomUUID(), event }));
    await this.send(sent);
    return sent.map((s) => s.eventId);
  }

  /** Publishes an event again under its first event id, as a relay does that died before marking it. */
  async publishAgain(eventId: string, event: OrderStatusChangedV1): Promise<void> {
    await this.send([{ eventId, event }]);
  }

  private async send(sent: Array<{ eventId: string; event: OrderStatusChangedV1 }>): Promise<void> {
    for (const { event } of sent) {
      const check = validateEvent('OrderStatusChanged', 1, event);
      if (!check.ok) throw new Error(`invalid OrderStatusChanged: ${check.errors.join('; ')}`);
    }
    await this.producer.send({
      topic: this.topic,
      messages: sent.map(({ eventId, event }) => ({
        key: event.orderId,
        value: JSON.stringify(event),
        headers: envelopeHeaders({
          eventId,
          type: 'OrderStatusChanged',
          version: 1,
          occurredAt: event.occurredAt,
          producer: 'order-service',
          correlationId: event.orderId,
          causationId: null,
          trace: {},
        }),
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
