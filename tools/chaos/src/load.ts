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

/** Resyncs are paced below the gateway's per-socket limit (20 messages/s, bursts of 40). */
const RESYNC_INTERVAL_MS = 70;
/** A failed resync (not projected yet, rate-limited, unavailable, no ack) is retried for this long. */
const RESYNC_RETRY_FOR_MS = 30_000;

/**
 * One customer of the storefront, following the client recipe of docs/live-status.md: a
 * Socket.IO connection to a gateway instance (reconnecting), pushes applied in version order, a
 * resync (`order.subscribe`) of an order after a gap, after placing it and of every order after a
 * reconnect that was not recovered, and a failed resync retried shortly.
 */
export class ChaosCustomer {
  readonly seen = new Map<string, SeenStatus>();
  readonly orders: string[] = [];
  reconnects = 0;
  private socket: Socket | undefined;
  private readonly resyncQueue: Array<{ orderId: string; until: number }> = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private closed = false;

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
    socket.on('order.status', (event: { orderId: string; status: string; version: number }) => {
      const known = this.seen.get(event.orderId);
      if (!known || event.version > known.version + 1) this.resync(event.orderId); // unknown or gap
      this.record(event.orderId, event);
    });
    socket.on('connect', () => {
      if (socket.recovered) return;
      this.reconnects++;
      this.resubscribeAll();
    });
    // A server-side disconnect is not retried by socket.io-client: reconnect by hand.
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 500);
    });
    socket.on('connect_error', () => undefined); // retried by the client; the gateway may be down
  }

  track(orderId: string): void {
    this.orders.push(orderId);
    this.resync(orderId);
  }

  resubscribeAll(): void {
    for (const orderId of this.orders) this.resync(orderId);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.resyncTimer);
    this.socket?.close();
  }

  /** Queues a snapshot read of the order (once: a queued order is not queued twice). */
  private resync(orderId: string, until = Date.now() + RESYNC_RETRY_FOR_MS): void {
    if (this.resyncQueue.some((queued) => queued.orderId === orderId)) return;
    this.resyncQueue.push({ orderId, until });
    this.resyncTimer ??= setTimeout(() => this.sendNextResync(), 0);
  }

  private sendNextResync(): void {
    this.resyncTimer = undefined;
    const next = this.resyncQueue.shift();
    if (!next || this.closed) return;
    const socket = this.socket;
    // Disconnected: the reconnect resyncs every order anyway.
    if (socket?.connected) {
      socket
        .timeout(5_000)
        .emit(
          'order.subscribe',
          { orderId: next.orderId },
          (error: Error | null, ack?: { ok: boolean; order?: OrderSnapshot }) => {
            if (!error && ack?.ok && ack.order) return this.record(next.orderId, ack.order);
            // not_found (not projected yet), rate_limited, unavailable, or no ack: try again shortly.
            if (Date.now() < next.until && !this.closed)
              setTimeout(() => this.resync(next.orderId, next.until), 500);
          },
        );
    }
    if (this.resyncQueue.length > 0)
      this.resyncTimer = setTimeout(() => this.sendNextResync(), RESYNC_INTERVAL_MS);
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
