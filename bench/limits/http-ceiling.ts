import { fork } from 'node:child_process';
import { join } from 'node:path';
import { KeepAliveClient } from '../saga/http-client';
import { now, percentiles, Percentiles, round } from '../saga/stats';
import { sampleProcess } from '../saga/metrics/process-stats';

export interface HttpCeiling {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latency: Percentiles;
  serverCpuSeconds: number;
  errors: number;
}

/**
 * The HTTP ceiling: a no-op Nest endpoint in its own process, driven by the benchmark's own HTTP
 * client with `connections` requests always outstanding (closed loop: this finds the maximum rate).
 */
export async function measureHttpCeiling(options: {
  connections: number;
  seconds: number;
}): Promise<HttpCeiling> {
  const server = await startNoopHttp();
  try {
    const client = new KeepAliveClient(server.url, options.connections);
    await drive(client, options.connections, 1); // warm-up: JIT and connections
    const cpuBefore = sampleProcess(server.pid)?.cpuSeconds ?? 0;
    const result = await drive(client, options.connections, options.seconds);
    const cpu = (sampleProcess(server.pid)?.cpuSeconds ?? 0) - cpuBefore;
    client.close();
    return {
      connections: options.connections,
      seconds: options.seconds,
      requestsPerSecond: Math.round(result.latencies.length / options.seconds),
      latency: percentiles(result.latencies),
      serverCpuSeconds: round(cpu, 2),
      errors: result.errors,
    };
  } finally {
    server.stop();
  }
}

export interface NoopHttp {
  url: string;
  pid: number;
  stop(): void;
}

/** The no-op Nest app (`noop-http/main.ts`) in a process of its own, listening on a free port. */
export async function startNoopHttp(): Promise<NoopHttp> {
  const server = fork(join(__dirname, 'noop-http/main.js'), [], {
    env: { ...process.env, NODE_ENV: 'production' },
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (message: { port: number }) => resolve(message.port));
      server.once('exit', (code) => reject(new Error(`no-op HTTP server exited with ${code}`)));
    });
    return { url: `http://127.0.0.1:${port}`, pid: server.pid!, stop: () => server.kill('SIGTERM') };
  } catch (error) {
    server.kill('SIGTERM');
    throw error;
  }
}

async function drive(client: KeepAliveClient, connections: number, seconds: number) {
  const latencies: number[] = [];
  let errors = 0;
  const end = now() + seconds * 1000;
  const worker = async () => {
    while (now() < end) {
      const start = now();
      const answer = await client.send('GET', '/noop', {});
      if (answer.status === 200) latencies.push(now() - start);
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { latencies, errors };
}
