import { randomUUIDv7 } from 'node:crypto';
import type { OutgoingEvent } from '@orderflow/messaging';
import { OrderEntity } from '../order/order.entity';
import { currentHistoryEntry } from '../order/order-snapshot';
import type { OrderStatusRecorder } from '../order/order-status-recorder';
import type { PlaceOrderRequest } from './place-order.request';

export interface NewOrder {
  order: OrderEntity;
  /** Its OrderCreated and OrderStatusChanged(PENDING), in that order. */
  events: OutgoingEvent[];
}

/** A PENDING order for `request`, its history begun, with the events that announce it. */
export function newOrder(
  customerId: string,
  request: PlaceOrderRequest,
  recorder: OrderStatusRecorder,
): NewOrder {
  const now = new Date();
  const order = Object.assign(new OrderEntity(), {
    id: randomUUIDv7(), // time-ordered: the key of the order's rows in every service (ADR 54)
    customerId,
    status: 'PENDING',
    version: 1,
    items: request.items.map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: null })),
    totalCents: null,
    currency: null,
    reason: null,
    paymentToken: request.paymentToken,
    shippingAddress: request.shippingAddress,
    createdAt: now,
    updatedAt: now,
  });
  order.history = [currentHistoryEntry(order, now)];
  // Both events go to the outbox with the order; they go to different topics, each keyed by the
  // order id.
  const events: OutgoingEvent[] = [
    {
      type: 'OrderCreated',
      payload: {
        orderId: order.id,
        customerId,
        items: request.items,
        paymentToken: request.paymentToken,
        shippingAddress: request.shippingAddress,
        createdAt: now.toISOString(),
      },
    },
    recorder.statusChanged(order, { previousStatus: null, at: now, causationId: null }),
  ];
  return { order, events };
}
