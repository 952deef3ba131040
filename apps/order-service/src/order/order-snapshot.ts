import type { OrderHistoryEntry, OrderSnapshot } from '@orderflow/contracts';
import { OrderEntity } from './order.entity';

/** The history entry of the order's current status, to append when it changes. */
export function currentHistoryEntry(order: OrderEntity, at: Date): OrderHistoryEntry {
  return { status: order.status, version: order.version, reason: order.reason, at: at.toISOString() };
}

/** The order as the API and OrderStatusChanged show it. */
export function toSnapshot(order: OrderEntity): OrderSnapshot {
  return {
    orderId: order.id,
    customerId: order.customerId,
    status: order.status,
    version: order.version,
    items: order.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
    totalCents: order.totalCents,
    currency: order.currency,
    reason: order.reason,
    history: order.history.map(({ status, version, at, reason }) => ({ status, version, at, reason })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
