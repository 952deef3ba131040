import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import type { OutboxRelayRole } from '@orderflow/service-defaults';
import { waitFor } from '@orderflow/testing';

const HERE = join(__dirname, '..');
const REPO = join(HERE, '../../..');

export interface FixtureEnv {
  group: string;
  databaseUrl: string;
  topicPrefix: string;
  relay?: boolean;
  instance: string;
  /** Bootstrap brokers (default: the shared test broker's). */
  kafkaBrokers?: string;
  /** OUTBOX_RELAY of the instance (default: on). */
  outboxRelay?: OutboxRelayRole;
  /** Also consume OrderStatusChanged with a handler that dedupes by its own records. */
  statusHandler?: boolean;
}

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The fixture service (test/fixture/fixture-main.ts) as a child process, spawned by `ready()`. */
export class FixtureProcess {
  url = '';
  private child: ChildProcess | undefined;
  exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly env: FixtureEnv) {}

  /** Spawns the process and waits until it reports ready; a start-up crash (port taken) is retried. */
  ready(timeoutMs = 60_000): Promise<this> {
    return this.spawnUntil('ready', timeoutMs);
  }

  /** Spawns the process and waits until it answers HTTP at all, ready or not. */
  live(timeoutMs = 60_000): Promise<this> {
    return this.spawnUntil('live', timeoutMs);
  }

  private async spawnUntil(probe: 'ready' | 'live', timeoutMs: number): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      let exited = false;
      await this.spawn();
      void this.exited.then(() => (exited = true));
      const state = await waitFor(
        `${this.env.instance} ${probe}`,
        async () =>
          exited ? 'exited' : (await fetch(`${this.url}/health/${probe}`)).status === 200 && probe,
        { timeoutMs, intervalMs: 200 },
      );
      if (state === probe) return this;
      if (attempt >= 3)
        throw new Error(`${this.env.instance} exited during start-up (see tmp/logs/messaging)`);
    }
  }

  /** The readiness report: HTTP status and the state of each check. */
  async readiness(): Promise<{ status: number; checks: Record<string, { status: string; error?: string }> }> {
    const res = await fetch(`${this.url}/health/ready`);
    const body = (await res.json()) as { checks: Record<string, { status: string; error?: string }> };
    return { status: res.status, checks: body.checks };
  }

  get hasExited(): boolean {
    return this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  private async spawn(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const logDir = join(REPO, 'tmp/logs/messaging');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${this.env.group}-${this.env.instance}.log`), { flags: 'a' });
    const child = spawn(
      process.execPath,
      ['--import', join(HERE, 'ts-register.mjs'), join(HERE, 'fixture/fixture-main.ts')],
      {
        cwd: REPO,
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: this.env.databaseUrl,
          MESSAGING_TOPIC_PREFIX: this.env.topicPrefix,
          FIXTURE_GROUP: this.env.group,
          FIXTURE_INSTANCE: this.env.instance,
          FIXTURE_RELAY: this.env.relay === false ? '0' : '1',
          FIXTURE_STATUS: this.env.statusHandler ? '1' : '0',
          ...(this.env.kafkaBrokers ? { KAFKA_BROKERS: this.env.kafkaBrokers } : {}),
          ...(this.env.outboxRelay ? { OUTBOX_RELAY: this.env.outboxRelay } : {}),
          LOG_LEVEL: 'info',
          LOG_PRETTY: '0',
          SHUTDOWN_TIMEOUT_MS: '20000',
          NODE_ENV: 'test',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  async produce(body: {
    orderIds: string[];
    perOrder: number;
    fromSeq?: number;
    behaviour?: string;
    rollback?: boolean;
    concurrency?: number;
  }) {
    return this.post('/fixture/produce', body);
  }

  async post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path} → ${res.status} ${await res.text()}`);
    return res.json();
  }

  async outcomes(): Promise<Record<string, number>> {
    return (await fetch(`${this.url}/fixture/outcomes`)).json() as Promise<Record<string, number>>;
  }

  kill(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    await this.exited;
    clearTimeout(timer);
  }
}
