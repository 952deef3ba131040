import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * A keep-alive HTTP client with a fixed pool of connections: the load generator's requests queue
 * here when every connection is busy, and that wait counts in their latency (open loop).
 */
export class KeepAliveClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
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
