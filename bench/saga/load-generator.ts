import { randomUUID } from 'node:crypto';
import { Customer } from './customers';
import { HttpSender } from './http-client';
import { OrderMix } from './options';
import { openLoop } from './open-loop';
import { now } from './stats';

export type OrderKind = 'success' | 'declined' | 'rejected';

export const EXPECTED_TERMINAL: Record<OrderKind, string> = {
  success: 'SHIPPING_SCHEDULED',
  declined: 'CANCELLED',
  rejected: 'REJECTED',
};

/** One arrival of the open-loop schedule and what became of its POST. */
export interface Arrival {
  kind: OrderKind;
  customer: Customer;
  items: { sku: string; quantity: number }[];
  /** Sent with a new Idempotency-Key. */
  keyed: boolean;
  /** When the request was due (latency is measured from here: no coordinated omission). */
  scheduledAt: number;
  sentAt?: number;
  answeredAt?: number;
  status?: number;
  orderId?: string;
  error?: string;
}

const ADDRESS = { name: 'Bench', line1: '1 Load St', city: 'Berlin', postalCode: '10115', country: 'DE' };
/**
 * Sends `POST /orders` at a fixed arrival rate for `seconds`, whether or not earlier requests have
 * been answered. Resolves when every request of the step has been answered (or failed).
 */
export async function runArrivals(options: {
  client: HttpSender;
  customers: Customer[];
  skus: string[];
  mix: OrderMix;
  keyedShare: number;
  rate: number;
  seconds: number;
  sequence: { next: number };
}): Promise<Arrival[]> {
  const { client, customers } = options;
  const arrivals: Arrival[] = [];
  await openLoop(options.rate, options.seconds, (_, dueAt) => {
    const n = options.sequence.next++;
    const arrival = plan(n, customers[n % customers.length], options, dueAt);
    arrivals.push(arrival);
    return post(client, arrival);
  });
  return arrivals;
}

function plan(
  n: number,
  customer: Customer,
  { skus, mix, keyedShare }: { skus: string[]; mix: OrderMix; keyedShare: number },
  scheduledAt: number,
): Arrival {
  const draw = fraction(n);
  const kind: OrderKind =
    draw < mix.success ? 'success' : draw < mix.success + mix.declined ? 'declined' : 'rejected';
  const lines = 1 + (n % 3);
  const picked = new Set(
    Array.from({ length: lines }, (_, line) => skus[(n * 7919 + line * 104_729) % skus.length]),
  );
  const items = [...picked].map((sku, line) => ({ sku, quantity: 1 + ((n + line) % 3) }));
  if (kind === 'rejected') items[0] = { sku: `UNKNOWN-${n}`, quantity: 1 };
  // Another stride of the sequence, so that keyed POSTs spread over every kind.
  const keyed = fraction(n * 7 + 3) < keyedShare;
  return { kind, customer, items, keyed, scheduledAt };
}

/** A deterministic, well-spread number in [0, 1) for arrival n (golden-ratio sequence). */
function fraction(n: number): number {
  return (n * 0.6180339887498949) % 1;
}

async function post(client: HttpSender, arrival: Arrival): Promise<void> {
  const body = JSON.stringify({
    items: arrival.items,
    paymentToken: arrival.kind === 'declined' ? 'tok_declined' : 'tok_visa',
    shippingAddress: ADDRESS,
  });
  arrival.sentAt = now();
  try {
    const answer = await client.send(
      'POST',
      '/orders',
      {
        authorization: `Bearer ${arrival.customer.token}`,
        'content-type': 'application/json',
        ...(arrival.keyed && { 'idempotency-key': randomUUID() }),
      },
      body,
    );
    arrival.answeredAt = now();
    arrival.status = answer.status;
    if (answer.status === 202) arrival.orderId = (JSON.parse(answer.body) as { orderId: string }).orderId;
    else arrival.error = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
  } catch (error) {
    arrival.answeredAt = now();
    arrival.error = (error as Error).message;
  }
}
