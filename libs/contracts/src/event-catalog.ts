import type { EventPayloadVersions } from './generated/event-payloads';
import { TOPICS, type Topic } from './topics';

export interface EventDefinition {
  topic: Topic;
  /** The schema version producers write today; consumers also accept every version in EVENT_SCHEMAS. */
  version: number;
  producer: string;
}

// The code's registry of produced events; the AsyncAPI document must agree (contracts tests).
const CATALOG = {
  OrderCreated: { topic: TOPICS.ordersEvents, version: 1, producer: 'order-service' },
  InventoryReserved: { topic: TOPICS.inventoryEvents, version: 1, producer: 'inventory-service' },
  InventoryRejected: { topic: TOPICS.inventoryEvents, version: 1, producer: 'inventory-service' },
  InventoryReleased: { topic: TOPICS.inventoryEvents, version: 1, producer: 'inventory-service' },
  PaymentProcessed: { topic: TOPICS.paymentsEvents, version: 1, producer: 'payment-service' },
  PaymentFailed: { topic: TOPICS.paymentsEvents, version: 1, producer: 'payment-service' },
  ShipmentScheduled: { topic: TOPICS.shippingEvents, version: 1, producer: 'shipping-service' },
  OrderStatusChanged: { topic: TOPICS.ordersStatus, version: 1, producer: 'order-service' },
} as const satisfies Record<keyof EventPayloadVersions, EventDefinition>;

export type EventType = keyof typeof CATALOG;

/** Payload type of each event type at the version producers write today. */
export type EventPayloads = {
  [T in EventType]: CurrentVersion<T> extends keyof EventPayloadVersions[T]
    ? EventPayloadVersions[T][CurrentVersion<T>]
    : never;
};

type CurrentVersion<T extends EventType> = `${(typeof CATALOG)[T]['version']}`;

export const EVENT_CATALOG: Readonly<Record<EventType, EventDefinition>> = CATALOG;

export const isEventType = (value: string): value is EventType => Object.hasOwn(EVENT_CATALOG, value);
