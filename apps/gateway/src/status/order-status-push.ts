import type { OrderHistoryEntry, OrderSnapshot, OrderStatusChangedV1 } from '@orderflow/contracts';

/** What clients receive as `order.status`, on Socket.IO and SSE alike. */
export interface OrderStatusPush {
  orderId: string;
  status: string;
  version: number;
  occurredAt: string;
  reason: string | null;
}

/** A push plus the owner, for routing (never sent to clients). */
export interface RoutedStatusPush extends OrderStatusPush {
  customerId: string;
}

export function pushFromEvent(event: OrderStatusChangedV1): RoutedStatusPush {
  return {
    orderId: event.orderId,
    customerId: event.customerId,
    status: event.status,
    version: event.version,
    occurredAt: event.occurredAt,
    reason: event.reason,
  };
}

export function pushFromHistory(orderId: string, entry: OrderHistoryEntry): OrderStatusPush {
  return {
    orderId,
    status: entry.status,
    version: entry.version,
    occurredAt: entry.at,
    reason: entry.reason,
  };
}

/** The snapshot's current status as a push (its history entry when present). */
export function currentPush(snapshot: OrderSnapshot): OrderStatusPush {
  const entry = snapshot.history.find((h) => h.version === snapshot.version);
  return entry
    ? pushFromHistory(snapshot.orderId, entry)
    : {
        orderId: snapshot.orderId,
        status: snapshot.status,
        version: snapshot.version,
        occurredAt: snapshot.updatedAt,
        reason: snapshot.reason,
      };
}

/** Every change after `version`, oldest first. */
export function pushesAfter(snapshot: OrderSnapshot, version: number): OrderStatusPush[] {
  return snapshot.history
    .filter((h) => h.version > version)
    .sort((a, b) => a.version - b.version)
    .map((h) => pushFromHistory(snapshot.orderId, h));
}

export function clientPayload(push: OrderStatusPush): OrderStatusPush {
  const { orderId, status, version, occurredAt, reason } = push;
  return { orderId, status, version, occurredAt, reason };
}
