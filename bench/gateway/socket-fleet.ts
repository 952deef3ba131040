import { io, Socket } from 'socket.io-client';
import { now, percentiles, Percentiles, round } from '../saga/stats';

interface StatusPush {
  orderId: string;
  status: string;
  version: number;
  occurredAt: string;
}

export interface ConnectResult {
  /** Sockets connected at the end of the step. */
  connected: number;
  opened: number;
  failed: number;
  failures: Record<string, number>;
  seconds: number;
  perSecond: number;
  /** From `io()` to the `connect` event, per socket of this step. */
  handshakeMs: Percentiles;
}

/** Deliveries of one push phase, checked against what each socket should have received. */
export interface DeliveryCheck {
  expected: number;
  delivered: number;
  missing: number;
  duplicates: number;
  /** Pushes of an order that is not the receiving socket's customer's. */
  foreign: number;
}

/**
 * Socket.IO clients of the gateway's `/orders` namespace, websocket transport only, opened in
 * waves. Socket `i` belongs to customer `floor(i / socketsPerCustomer)`. Every `order.status` is
 * recorded with its latency: receipt time minus the event's `occurredAt` (same machine, same clock).
 */
export class SocketFleet {
  private readonly sockets: Socket[] = [];
  private received = new Map<string, number>();
  private latencies: number[] = [];
  readonly disconnects: Record<string, number> = {};

  constructor(
    private readonly url: string,
    private readonly runName: string,
    private readonly socketsPerCustomer: number,
    private readonly token: (customerId: string) => string,
  ) {}

  get connected(): number {
    return this.sockets.filter((s) => s.connected).length;
  }

  get size(): number {
    return this.sockets.length;
  }

  customerId(customerIndex: number): string {
    return `${this.runName}-customer-${customerIndex}`;
  }

  /** The sockets of a customer: indexes `c * socketsPerCustomer …` that exist. */
  socketsOf(customerIndex: number): number[] {
    const first = customerIndex * this.socketsPerCustomer;
    const last = Math.min(first + this.socketsPerCustomer, this.sockets.length);
    return Array.from({ length: Math.max(0, last - first) }, (_, k) => first + k);
  }

  get customers(): number {
    return Math.ceil(this.sockets.length / this.socketsPerCustomer);
  }

  /** Opens sockets until `total` exist, `wave` at a time, each wave awaited before the next. */
  async grow(total: number, wave: number): Promise<ConnectResult> {
    const started = now();
    const handshakes: number[] = [];
    const failures: Record<string, number> = {};
    let opened = 0;
    while (this.sockets.length < total) {
      const count = Math.min(wave, total - this.sockets.length);
      const results = await Promise.all(Array.from({ length: count }, () => this.open()));
      for (const result of results) {
        opened += 1;
        if (typeof result === 'number') handshakes.push(result);
        else failures[result.error] = (failures[result.error] ?? 0) + 1;
      }
    }
    const seconds = (now() - started) / 1000;
    return {
      connected: this.connected,
      opened,
      failed: opened - handshakes.length,
      failures,
      seconds: round(seconds, 2),
      perSecond: round(handshakes.length / seconds, 0),
      handshakeMs: percentiles(handshakes),
    };
  }

  /** Starts a new push phase: forgets earlier deliveries and latencies. */
  resetDeliveries(): void {
    this.received = new Map();
    this.latencies = [];
  }

  get deliveries(): number {
    return this.latencies.length;
  }

  latency(): Percentiles {
    return percentiles(this.latencies);
  }

  /** Compares this phase's deliveries with the expected `socket|order|version` keys. */
  check(expected: Set<string>): DeliveryCheck {
    let delivered = 0;
    let duplicates = 0;
    let foreign = 0;
    for (const [key, count] of this.received) {
      if (!expected.has(key)) foreign += count;
      else {
        delivered += 1;
        duplicates += count - 1;
      }
    }
    return { expected: expected.size, delivered, missing: expected.size - delivered, duplicates, foreign };
  }

  close(): void {
    for (const socket of this.sockets) socket.disconnect();
  }

  /** Resolves with the handshake time in ms, or the connect error. */
  private open(): Promise<number | { error: string }> {
    const index = this.sockets.length;
    const started = now();
    const socket = io(`${this.url}/orders`, {
      auth: { token: this.token(this.customerId(Math.floor(index / this.socketsPerCustomer))) },
      transports: ['websocket'],
      forceNew: true,
      // A dropped socket stays dropped and is counted: a reconnect would hide it and could replay.
      reconnection: false,
      timeout: 60_000,
    });
    this.sockets.push(socket);
    socket.on('order.status', (push: StatusPush) => this.record(index, push));
    socket.on('disconnect', (reason) => {
      this.disconnects[reason] = (this.disconnects[reason] ?? 0) + 1;
    });
    return new Promise((resolve) => {
      socket.once('connect', () => resolve(now() - started));
      socket.once('connect_error', (error: Error) => resolve({ error: error.message }));
    });
  }

  private record(index: number, push: StatusPush) {
    this.latencies.push(Date.now() - Date.parse(push.occurredAt));
    const key = deliveryKey(index, push.orderId, push.version);
    this.received.set(key, (this.received.get(key) ?? 0) + 1);
  }
}

export const deliveryKey = (socketIndex: number, orderId: string, version: number) =>
  `${socketIndex}|${orderId}|${version}`;
