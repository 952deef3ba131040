import type { OrderStatus, OrderStatusChangedV1 } from '@orderflow/contracts';
import { composeNotification, notificationKindFor } from './notification-kind';

describe('notificationKindFor', () => {
  it.each<[OrderStatus, string | undefined]>([
    ['PENDING', 'order_received'],
    ['INVENTORY_RESERVED', undefined],
    ['PAID', 'order_confirmed'],
    ['SHIPPING_SCHEDULED', 'order_shipped'],
    ['REJECTED', 'order_rejected'],
    ['PAYMENT_FAILED', undefined],
    ['CANCELLED', 'order_cancelled'],
  ])('%s → %s', (status, kind) => {
    expect(notificationKindFor(status)).toBe(kind);
  });
});

describe('composeNotification', () => {
  const change = (status: OrderStatus, reason: string | null): OrderStatusChangedV1 => ({
    orderId: 'o-1',
    customerId: 'c-1',
    status,
    previousStatus: null,
    version: 1,
    reason,
    occurredAt: '2025-01-01T00:00:00.000Z',
    order: {
      orderId: 'o-1',
      customerId: 'c-1',
      status,
      version: 1,
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1999 }],
      totalCents: 3998,
      currency: 'EUR',
      reason,
      history: [{ status, version: 1, at: '2025-01-01T00:00:00.000Z', reason }],
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    },
  });

  it('states the charged total when confirming', () => {
    expect(composeNotification('order_confirmed', change('PAID', null)).body).toContain('39.98 EUR');
  });

  it('explains a cancellation or rejection in words', () => {
    expect(composeNotification('order_cancelled', change('CANCELLED', 'card_declined')).body).toContain(
      'the card was declined',
    );
    expect(composeNotification('order_rejected', change('REJECTED', 'insufficient_stock')).body).toContain(
      'out of stock',
    );
  });
});
