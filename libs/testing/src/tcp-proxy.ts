import { createConnection, createServer, Server, Socket } from 'node:net';

/** Watches one proxied connection's bytes (e.g. Kafka frames) and may name whose connection it is. */
export interface ConnectionTap {
  /** Whose connection this is, once known: latency set for that label applies to it. */
  readonly label: string | undefined;
  /** A chunk arrived (from the client when `toServer`); the returned callback runs once it is passed on. */
  onChunk(chunk: Buffer, toServer: boolean): (() => void) | undefined;
  /** The connection is gone. */
  close(): void;
}

/**
 * A TCP proxy on loopback in front of Kafka or Postgres, for the run's apps only: passes bytes
 * through, optionally late (`latencyMs` per chunk, each direction, for every connection or only
 * those of one label), or cuts every connection and refuses new ones until `restore()`.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private latencyMs = 0;
  private readonly labelLatencyMs = new Map<string, number>();
  private down = false;

  /** `listenPort` 0 picks a free port; read it after `start()`. */
  constructor(
    readonly name: string,
    public listenPort: number,
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
    private readonly tap?: () => ConnectionTap,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        const address = server.address();
        if (typeof address === 'object' && address) this.listenPort = address.port;
        resolve();
      });
    });
  }

  /** Latency added right now, ms (0 when none). */
  get latency(): number {
    return this.latencyMs;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Latency added to the connections a tap labelled `label` (on top of `setLatency`'s), until set
   * to 0; `restore()` leaves it alone.
   */
  setLabelLatency(label: string, ms: number): void {
    if (ms > 0) this.labelLatencyMs.set(label, ms);
    else this.labelLatencyMs.delete(label);
  }

  /** Resets every open connection; new ones are reset at once until `restore()`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  restore(): void {
    this.down = false;
    this.latencyMs = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket) {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const tap = this.tap?.();
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
      // A reset on one side is passed on as a reset on the other; nothing to report.
      socket.on('error', () => undefined);
    }
    client.on('close', () => {
      upstream.destroy();
      tap?.close();
    });
    upstream.on('close', () => client.destroy());
    this.pipe(client, upstream, true, tap);
    this.pipe(upstream, client, false, tap);
  }

  /** Forwards chunks in order; with latency each chunk leaves `latencyMs` after it arrived. */
  private pipe(from: Socket, to: Socket, toServer: boolean, tap: ConnectionTap | undefined) {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const passedOn = tap?.onChunk(chunk, toServer);
      const delay = this.latencyMs + (tap?.label ? (this.labelLatencyMs.get(tap.label) ?? 0) : 0);
      const forward = () => {
        if (!to.writable) return;
        to.write(chunk);
        passedOn?.();
      };
      if (delay === 0 && to.writable) {
        chain = chain.then(forward);
        return;
      }
      const due = Date.now() + delay;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              forward();
              resolve();
            }, due - Date.now());
          }),
      );
    });
    from.on('end', () => {
      chain = chain.then(() => {
        if (to.writable) to.end();
      });
    });
  }
}
