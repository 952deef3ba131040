import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface HttpSender {
  send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer>;
  close(): void;
}

/**
 * Idle connections are closed after this long, before the apps would close them: Node's server
 * closes a keep-alive connection after 5 s idle (plus a 1 s buffer), and a request written on a
 * connection the server is closing fails with ECONNRESET. Node's agent would heed the server's
 * `Keep-Alive: timeout=5` hint only if it had a timeout of its own.
 */
const IDLE_CONNECTION_MS = 4_000;

/**
 * A keep-alive HTTP client with a fixed pool of connections: the load generator's requests queue
 * here when every connection is busy, and that wait counts in their latency (open loop).
 */
export class KeepAliveClient implements HttpSender {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    connections: number,
  ) {
    // An agent's timeout closes only idle connections; a slow answer is still waited for.
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
      timeout: IDLE_CONNECTION_MS,
    });
  }

  send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Requests in turn to each instance of a service (as a load balancer in front of the replicas
 * would), the connections split evenly between them.
 */
export class RoundRobinClient implements HttpSender {
  private readonly clients: KeepAliveClient[];
  private next = 0;

  constructor(baseUrls: string[], connections: number) {
    const each = Math.max(1, Math.ceil(connections / baseUrls.length));
    this.clients = baseUrls.map((url) => new KeepAliveClient(url, each));
  }

  send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    const client = this.clients[this.next];
    this.next = (this.next + 1) % this.clients.length;
    return client.send(method, path, headers, body);
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
