import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@orderflow/testing';

const HERE = join(__dirname, '..');
const REPO = join(HERE, '../../..');
let nextPort = 39_000 + Math.floor(Math.random() * 500) * 2;

export interface FixtureEnv {
  group: string;
  databaseUrl: string;
  topicPrefix: string;
  relay?: boolean;
  instance: string;
}

/** The fixture service (test/fixture/fixture-main.ts) as a child process. */
export class FixtureProcess {
  readonly url: string;
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly env: FixtureEnv) {
    const port = nextPort++;
    this.url = `http://127.0.0.1:${port}`;
    const logDir = join(REPO, 'tmp/logs/messaging');
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${env.group}-${env.instance}.log`), { flags: 'a' });
    this.child = spawn(
      process.execPath,
      ['--import', join(HERE, 'ts-register.mjs'), join(HERE, 'fixture/fixture-main.ts')],
      {
        cwd: REPO,
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: env.databaseUrl,
          MESSAGING_TOPIC_PREFIX: env.topicPrefix,
          FIXTURE_GROUP: env.group,
          FIXTURE_INSTANCE: env.instance,
          FIXTURE_RELAY: env.relay === false ? '0' : '1',
          LOG_LEVEL: 'info',
          LOG_PRETTY: '0',
          SHUTDOWN_TIMEOUT_MS: '20000',
          NODE_ENV: 'test',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  async ready(timeoutMs = 60_000): Promise<this> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    await waitFor(
      `${this.env.instance} ready`,
      async () => {
        if (exited) throw new Error(`${this.env.instance} exited during start-up (see tmp/logs/messaging)`);
        const res = await fetch(`${this.url}/health/ready`);
        return res.status === 200;
      },
      { timeoutMs, intervalMs: 200 },
    );
    return this;
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
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 25_000);
    await this.exited;
    clearTimeout(timer);
  }
}
