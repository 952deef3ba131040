import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of Kafka or Postgres, for the run's apps only: passes bytes
 * through, optionally late (`latencyMs` per chunk, each direction), or cuts every connection and
 * refuses new ones until `restore()`.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private latencyMs = 0;
  private down = false;

  /** `listenPort` 0 picks a free port; read it after `start()`. */
  constructor(
    readonly name: string,
    public listenPort: number,
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
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
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => this.sockets.delete(socket));
      // A reset on one side is passed on as a reset on the other; nothing to report.
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards chunks in order; with latency each chunk leaves `latencyMs` after it arrived. */
  private pipe(from: Socket, to: Socket) {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const delay = this.latencyMs;
      if (delay === 0 && to.writable) {
        chain = chain.then(() => {
          if (to.writable) to.write(chunk);
        });
        return;
      }
      const due = Date.now() + delay;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              if (to.writable) to.write(chunk);
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
