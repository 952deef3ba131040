import { randomUUIDv7 } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ShippingAddress } from '@orderflow/contracts';
import { chooseCarrier, newTrackingNumber } from './carrier';
import { applyEvent, readiness, ShipmentRequest, ShipmentRequestEvent } from './shipment-request';

export type ScheduleOutcome = 'scheduled' | 'waiting' | 'not-open' | 'already-scheduled';

/** What an event did: OrderCreated and PaymentProcessed schedule or not, PaymentFailed drops. */
export type RequestOutcome = ScheduleOutcome | 'dropped';

/** A shipment the run schedules, and the event that made its order ready (its ShipmentScheduled's cause). */
export interface PlannedShipment {
  /** Index of that event in the run. */
  index: number;
  cause: ShipmentRequestEvent;
  shipmentId: string;
  orderId: string;
  customerId: string;
  carrier: string;
  trackingNumber: string;
  address: ShippingAddress;
}

export interface RunPlan {
  /** Per event, in run order; a planned shipment counts as scheduled until its insert says otherwise. */
  outcomes: RequestOutcome[];
  /** The final state of every request the run changed, one per order. */
  changed: ShipmentRequest[];
  /** In run order, at most one per order. */
  shipments: PlannedShipment[];
}

/**
 * Applies a run of events in memory, in run order, to the requests as claimRequests returned them
 * (one per order of the run): each event sees what the ones before it did, and an order is
 * scheduled by the event that makes it ready, so a later event of the run finds it scheduled.
 * That is what applying the events one after another would leave.
 */
export function planRun(
  events: readonly ShipmentRequestEvent[],
  claimed: ReadonlyMap<string, ShipmentRequest>,
): RunPlan {
  const requests = new Map(claimed);
  const shipments: PlannedShipment[] = [];
  const outcomes = events.map((event, index): RequestOutcome => {
    const request = applyEvent(claimedRequest(requests, event), event);
    if (event.type === 'PaymentFailed') {
      requests.set(request.orderId, request);
      return 'dropped';
    }
    const ready = readiness(request);
    if (ready !== 'ready') {
      requests.set(request.orderId, request);
      return ready;
    }
    shipments.push(planShipment(request, event, index));
    requests.set(request.orderId, { ...request, status: 'SCHEDULED' });
    return 'scheduled';
  });
  const changed = [...requests.values()].filter(
    (request) => !isDeepStrictEqual(request, claimed.get(request.orderId)),
  );
  return { outcomes, changed, shipments };
}

function claimedRequest(requests: Map<string, ShipmentRequest>, event: ShipmentRequestEvent) {
  const request = requests.get(event.payload.orderId);
  if (!request) throw new Error(`order ${event.payload.orderId} of the run has no claimed request`);
  return request;
}

function planShipment(request: ShipmentRequest, cause: ShipmentRequestEvent, index: number): PlannedShipment {
  const address = request.address!;
  const carrier = chooseCarrier(address.country);
  return {
    index,
    cause,
    shipmentId: randomUUIDv7(),
    orderId: request.orderId,
    customerId: request.customerId,
    carrier: carrier.name,
    trackingNumber: newTrackingNumber(carrier),
    address,
  };
}
