import type { ShippingAddress } from '@orderflow/contracts';
import type { IncomingEvent } from '@orderflow/messaging';
import type { ShipmentRequestStatus } from '../entities/shipment-request.entity';

/** The events that change what shipping-service knows about an order. */
export type ShipmentRequestEvent =
  IncomingEvent<'OrderCreated'> | IncomingEvent<'PaymentProcessed'> | IncomingEvent<'PaymentFailed'>;

/** A shipment_requests row: the order's address and payment, in whichever order they arrived. */
export interface ShipmentRequest {
  orderId: string;
  customerId: string;
  status: ShipmentRequestStatus;
  address: ShippingAddress | null;
  paymentId: string | null;
}

export type Readiness = 'ready' | 'waiting' | 'not-open';

/**
 * The request after `event`; `request` is undefined when the order has none yet. Applying an event
 * twice leaves what applying it once does (claimRequests relies on it).
 */
export function applyEvent(
  request: ShipmentRequest | undefined,
  event: ShipmentRequestEvent,
): ShipmentRequest {
  const current = request ?? newRequest(event);
  switch (event.type) {
    case 'OrderCreated':
      // A late OrderCreated cannot bring back the address of a dropped order.
      return { ...current, address: current.status === 'DROPPED' ? null : event.payload.shippingAddress };
    case 'PaymentProcessed':
      return { ...current, paymentId: event.payload.paymentId };
    case 'PaymentFailed':
      // The order will never ship: forget its address, unless it was scheduled before.
      return {
        ...current,
        status: current.status === 'OPEN' ? 'DROPPED' : current.status,
        address: current.status === 'SCHEDULED' ? current.address : null,
      };
  }
}

/** An open request can ship once it has both an address and a payment. */
export function readiness(request: ShipmentRequest): Readiness {
  if (request.status !== 'OPEN') return 'not-open';
  return request.address && request.paymentId ? 'ready' : 'waiting';
}

function newRequest(event: ShipmentRequestEvent): ShipmentRequest {
  const { orderId, customerId } = event.payload;
  return { orderId, customerId, status: 'OPEN', address: null, paymentId: null };
}
