import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import type { OrderSnapshot } from '@orderflow/contracts';
import { OrderEntity, OrderHistoryEntity } from './order.entity';

/** One history row as the snapshot needs it. */
export type HistoryEntry = Pick<OrderHistoryEntity, 'status' | 'version' | 'reason' | 'at'>;

/** The order as the API and OrderStatusChanged show it. */
export function toSnapshot(order: OrderEntity, history: HistoryEntry[]): OrderSnapshot {
  return {
    orderId: order.id,
    customerId: order.customerId,
    status: order.status,
    version: order.version,
    items: order.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
    totalCents: order.totalCents,
    currency: order.currency,
    reason: order.reason,
    history: [...history]
      .sort((a, b) => a.version - b.version)
      .map((h) => ({ status: h.status, version: h.version, at: h.at.toISOString(), reason: h.reason })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

/** Snapshots of several orders with their histories, in the given order. */
export async function loadSnapshots(manager: EntityManager, orders: OrderEntity[]): Promise<OrderSnapshot[]> {
  if (orders.length === 0) return [];
  const history = await manager.find(OrderHistoryEntity, { where: { orderId: In(orders.map((o) => o.id)) } });
  const byOrder = new Map<string, OrderHistoryEntity[]>();
  for (const row of history) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
  return orders.map((order) => toSnapshot(order, byOrder.get(order.id) ?? []));
}
