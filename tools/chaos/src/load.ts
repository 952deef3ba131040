import { randomUUID } from 'node:crypto';
import { io, Socket } from 'socket.io-client';
import type { OrderSnapshot } from '@orderflow/contracts';
import { DEMO_ADDRESS } from '@orderflow/testing';
import { Prng } from './prng';

export interface ChaosSku {
  sku: string;
  priceCents: number;
  initial: number;
}

/** Plenty of stock on most SKUs, little on one so that some orders are rejected for stock. */
export const CHAOS_SKUS: ChaosSku[] = [
  { sku: 'CHAOS-A', priceCents: 1_250, initial: 100_000 },
  { sku: 'CHAOS-B', priceCents: 4_999, initial: 100_000 },
  { sku: 'CHAOS-C', priceCents: 300, initial: 100_000 },
  { sku: 'CHAOS-SCARCE', priceCents: 999, initial: 25 },
];

export interface AcceptedOrder {
  orderId: string;
  customer: string;
  acceptedAtMs: number;
  attempts: number;
}

export interface OrderLoadStats {
  attempted: number;
  accepted: number;
  /** Requests that never got a 202 before their deadline (not counted as accepted). */
  abandoned: number;
  /** Answers other than 202 seen while retrying (5xx, resets, timeouts), by kind. */
  retriedBecause: Record<string, number>;
  /** Answers a valid order must never get (4xx other than 409/429): each is a violation. */
  unexpectedAnswers: string[];
}

/** Last status a Socket.IO client saw for an order (push or subscribe ack), deduplicated by version. */
interface SeenStatus {
  status: string;
  version: number;
}

/**
 * One customer of the storefront: a Socket.IO connection to a gateway instance (reconnecting, and
 * re-subscribing to its orders on every reconnect), and the orders it placed.
 */
export class ChaosCustomer {
  readonly seen = new Map<string, SeenStatus>();
  readonly orders: string[] = [];
  reconnects = 0;
  private socket: Socket | undefined;

  constructor(
    readonly id: string,
    readonly token: string,
    private readonly gatewayUrl: string,
  ) {}

  connect(): void {
    const socket = io(`${this.gatewayUrl}/orders`, {
      auth: { token: this.token },
      transports: ['websocket'],
      reconnectionDelay: 200,
      reconnectionDelayMax: 2_000,
    });
    this.socket = socket;
    socket.on('order.status', (event: { orderId: string; status: string; version: number }) =>
      this.record(event.orderId, event),
    );
    socket.on('connect', () => {
      if (socket.recovered) return;
      this.reconnects++;
      for (const orderId of this.orders) this.subscribe(orderId);
    });
    // A server-side disconnect is not retried by socket.io-client: reconnect by hand.
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 500);
    });
    socket.on('connect_error', () => undefined); // retried by the client; the gateway may be down
  }

  track(orderId: string): void {
    this.orders.push(orderId);
    this.subscribe(orderId);
  }

  /** Asks the gateway for the current snapshot of an order (as a reconnecting client does). */
  subscribe(orderId: string): void {
    const socket = this.socket;
    if (!socket?.connected) return; // the reconnect handler subscribes again
    socket
      .timeout(5_000)
      .emit(
        'order.subscribe',
        { orderId },
        (error: Error | null, ack?: { ok: boolean; order?: OrderSnapshot }) => {
          if (!error && ack?.ok && ack.order) this.record(orderId, ack.order);
        },
      );
  }

  resubscribeAll(): void {
    for (const orderId of this.orders) this.subscribe(orderId);
  }

  close(): void {
    this.socket?.close();
  }

  private record(orderId: string, event: SeenStatus) {
    const previous = this.seen.get(orderId);
    if (!previous || event.version > previous.version)
      this.seen.set(orderId, { status: event.status, version: event.version });
  }
}

/** The body of one order, drawn from the seed: mostly paid, some declined, unknown or scarce. */
export function drawOrderBody(rng: Prng): Record<string, unknown> {
  const roll = rng.next();
  const common = { shippingAddress: DEMO_ADDRESS };
  if (roll < 0.05) return { ...common, items: [{ sku: 'CHAOS-UNKNOWN', quantity: 1 }] };
  if (roll < 0.15) return { ...common, items: [{ sku: 'CHAOS-SCARCE', quantity: rng.int(1, 3) }] };
  const lines = rng.shuffle(['CHAOS-A', 'CHAOS-B', 'CHAOS-C']).slice(0, rng.int(1, 3));
  const items = lines.map((sku) => ({ sku, quantity: rng.int(1, 5) }));
  const paymentToken =
    roll < 0.27
      ? rng.pick(['tok_declined', 'tok_insufficient_funds'])
      : rng.pick(['tok_visa', 'tok_mastercard']);
  return { ...common, items, paymentToken };
}

/**
 * Places one order the way a careful client does: with an Idempotency-Key, retrying the same key
 * on resets, timeouts and 5xx until a 202 or the deadline. `key` continues a request sent before.
 */
export async function placeWithRetries(
  orderServiceUrl: string,
  token: string,
  body: Record<string, unknown>,
  stats: OrderLoadStats,
  deadlineMs: number,
  key: string = randomUUID(),
): Promise<{ orderId: string; attempts: number } | undefined> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 1; Date.now() < until; attempt++) {
    let kind: string;
    try {
      const res = await fetch(`${orderServiceUrl}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (res.status === 202)
        return { orderId: (JSON.parse(text) as { orderId: string }).orderId, attempts: attempt };
      if (res.status < 500 && res.status !== 409 && res.status !== 429) {
        stats.unexpectedAnswers.push(
          `POST /orders (key ${key}) answered ${res.status}: ${text.slice(0, 300)}`,
        );
        return undefined;
      }
      kind = `http_${res.status}`;
    } catch (error) {
      kind = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'connection';
    }
    stats.retriedBecause[kind] = (stats.retriedBecause[kind] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
  }
  return undefined;
}
