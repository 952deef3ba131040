import type { EventPayloads, OrderStatus } from '@orderflow/contracts';

/** An OrderStatusChanged of a one-line order at `status` and `version`, as order-service sends it. */
export function statusChangedPayload(
  orderId: string,
  status: OrderStatus,
  version: number,
  customerId = 'cust-1',
): EventPayloads['OrderStatusChanged'] {
  const at = new Date().toISOString();
  return {
    orderId,
    customerId,
    status,
    previousStatus: null,
    version,
    reason: null,
    occurredAt: at,
    order: {
      orderId,
      customerId,
      status,
      version,
      items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1999 }],
      totalCents: 1999,
      currency: 'EUR',
      reason: null,
      history: [{ status, version, at, reason: null }],
      createdAt: at,
      updatedAt: at,
    },
  };
}
