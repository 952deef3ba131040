import type { OrderStatus, OrderStatusChangedV1 } from '@orderflow/contracts';

export type NotificationKind =
  'order_received' | 'order_confirmed' | 'order_shipped' | 'order_cancelled' | 'order_rejected';

const KIND_BY_STATUS: Partial<Record<OrderStatus, NotificationKind>> = {
  PENDING: 'order_received',
  PAID: 'order_confirmed',
  SHIPPING_SCHEDULED: 'order_shipped',
  CANCELLED: 'order_cancelled',
  REJECTED: 'order_rejected',
};

/** The notification a status change deserves; intermediate steps (reserved, payment failed) get none. */
export function notificationKindFor(status: OrderStatus): NotificationKind | undefined {
  return KIND_BY_STATUS[status];
}

const REASON_TEXT: Record<string, string> = {
  unknown_sku: 'one of the products does not exist',
  insufficient_stock: 'one of the products is out of stock',
  card_declined: 'the card was declined',
  insufficient_funds: 'the card has insufficient funds',
  invalid_token: 'the payment method was not accepted',
  amount_limit_exceeded: 'the amount exceeds the payment limit',
};

const money = (cents: number | null, currency: string | null) =>
  cents === null || currency === null ? '' : ` (${(cents / 100).toFixed(2)} ${currency})`;

/** Subject and plain-text body of a notification. */
export function composeNotification(
  kind: NotificationKind,
  change: OrderStatusChangedV1,
): { subject: string; body: string } {
  const { orderId, order } = change;
  const why = change.reason ? (REASON_TEXT[change.reason] ?? change.reason) : 'of a problem';
  switch (kind) {
    case 'order_received':
      return {
        subject: `We received your order ${orderId}`,
        body: `Thank you! Your order ${orderId} was received and is being processed.`,
      };
    case 'order_confirmed':
      return {
        subject: `Your order ${orderId} is confirmed`,
        body: `Your payment${money(order.totalCents, order.currency)} went through; your order ${orderId} is confirmed.`,
      };
    case 'order_shipped':
      return {
        subject: `Your order ${orderId} is on its way`,
        body: `The shipment of your order ${orderId} is scheduled with the carrier.`,
      };
    case 'order_cancelled':
      return {
        subject: `Your order ${orderId} was cancelled`,
        body: `Your order ${orderId} was cancelled because ${why}. You were not charged.`,
      };
    case 'order_rejected':
      return {
        subject: `We could not accept your order ${orderId}`,
        body: `Your order ${orderId} could not be accepted because ${why}.`,
      };
  }
}
