import { isDeepStrictEqual } from 'node:util';
import type { ShipmentRequestStatus } from '../entities/shipment-request.entity';
import { applyEvent, ShipmentRequest, ShipmentRequestEvent } from './shipment-request';
import { planRun } from './shipment-request-run';

const ORDER = 'order-1';
type Kind = 'createdDE' | 'createdUS' | 'paid' | 'failed';

const address = (country: string) => ({
  name: 'Ada',
  line1: '1 Main St',
  city: 'X',
  postalCode: '1',
  country,
});

let eventCount = 0;
function event(kind: Kind): ShipmentRequestEvent {
  const id = ++eventCount;
  const envelope = {
    eventId: `event-${id}`,
    version: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    producer: 'test',
    correlationId: ORDER,
    causationId: null,
    key: ORDER,
    trace: {},
  };
  const order = { orderId: ORDER, customerId: 'cust-1' };
  const payment = { ...order, paymentId: `pay-${id}`, amountCents: 1999, currency: 'EUR' };
  switch (kind) {
    case 'createdDE':
    case 'createdUS': {
      const shippingAddress = address(kind === 'createdDE' ? 'DE' : 'US');
      const items = [{ sku: 'SKU-1', quantity: 1 }];
      const payload = { ...order, items, paymentToken: 'tok_visa', shippingAddress, createdAt: '' };
      return { ...envelope, type: 'OrderCreated', payload };
    }
    case 'paid':
      return { ...envelope, type: 'PaymentProcessed', payload: payment };
    case 'failed':
      return { ...envelope, type: 'PaymentFailed', payload: { ...payment, reason: 'card_declined' } };
  }
}

/** What claimRequests returns for the order: its request, or the one its first event of the run creates. */
const claim = (request: ShipmentRequest | undefined, first: ShipmentRequestEvent) =>
  new Map([[ORDER, request ?? applyEvent(undefined, first)]]);

function inOneRun(request: ShipmentRequest | undefined, events: ShipmentRequestEvent[]) {
  const claimed = claim(request, events[0]);
  const plan = planRun(events, claimed);
  return {
    outcomes: plan.outcomes,
    request: plan.changed[0] ?? claimed.get(ORDER),
    shipments: plan.shipments.map((s) => ({
      cause: s.cause.eventId,
      carrier: s.carrier,
      to: s.address.country,
    })),
  };
}

function oneAtATime(request: ShipmentRequest | undefined, events: ShipmentRequestEvent[]) {
  const outcomes = [];
  const shipments = [];
  for (const event of events) {
    const run = inOneRun(request, [event]);
    outcomes.push(...run.outcomes);
    shipments.push(...run.shipments);
    request = run.request;
  }
  return { outcomes, request, shipments };
}

const STATUSES: ShipmentRequestStatus[] = ['OPEN', 'SCHEDULED', 'DROPPED'];
const REQUESTS_BEFORE: Array<ShipmentRequest | undefined> = [
  undefined,
  ...STATUSES.flatMap((status) =>
    [null, address('FR')].flatMap((known) =>
      [null, 'pay-0'].map((paymentId) => ({
        orderId: ORDER,
        customerId: 'cust-1',
        status,
        address: known,
        paymentId,
      })),
    ),
  ),
];
const KINDS: Kind[] = ['createdDE', 'createdUS', 'paid', 'failed'];
/** Every sequence of `length` event kinds. */
const sequences = (length: number): Kind[][] =>
  length === 0 ? [[]] : sequences(length - 1).flatMap((rest) => KINDS.map((kind) => [kind, ...rest]));
const SEQUENCES = [1, 2, 3].flatMap(sequences);

describe('planRun', () => {
  it('leaves what one event at a time leaves, for every run of up to 3 events of an order', () => {
    const differences = REQUESTS_BEFORE.flatMap((before) =>
      SEQUENCES.flatMap((kinds) => {
        const events = kinds.map(event);
        const [batched, sequential] = [inOneRun(before, events), oneAtATime(before, events)];
        return isDeepStrictEqual(batched, sequential) ? [] : [{ before, kinds, batched, sequential }];
      }),
    );
    expect(differences).toEqual([]);
    expect(REQUESTS_BEFORE.length * SEQUENCES.length).toBe(13 * 84);
  });

  it('changes nothing for the event that created the request (no write needed)', () => {
    for (const kind of KINDS) {
      const first = event(kind);
      expect(planRun([first], claim(undefined, first)).changed).toEqual([]);
    }
  });

  it('schedules with the address known when the order became ready, not a later one', () => {
    const run = [event('paid'), event('createdUS'), event('createdDE')];
    const plan = planRun(run, claim(undefined, run[0]));
    expect(plan.outcomes).toEqual(['waiting', 'scheduled', 'not-open']);
    expect(plan.shipments).toEqual([
      expect.objectContaining({ index: 1, cause: run[1], carrier: 'UPS', address: address('US') }),
    ]);
  });
});
