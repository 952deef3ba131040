import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { deadLetterTopic, TOPIC_PARTITIONS, TOPICS } from '@orderflow/contracts';
import { ensureTopics } from '@orderflow/messaging';
import {
  AppSupervisor,
  createTestDatabase,
  discoverApps,
  freePort,
  ManagedApp,
  PG_ADMIN_URL,
  REPO_ROOT,
  TcpProxy,
  TEST_JWT_SECRET,
  waitFor,
} from '@orderflow/testing';
import { GATEWAYS, SERVICES } from './fault-schedule';
import { KafkaTraffic } from './kafka-traffic';

const run = promisify(execFile);

export interface ChaosStackOptions {
  name: string;
  logDir: string;
  /** The private broker: listener, controller and the proxy's (advertised) port, state directory. */
  kafkaPort: number;
  kafkaControllerPort: number;
  kafkaProxyPort: number;
  kafkaStateDir: string;
  /** Postgres faults restart the machine's cluster instead of terminating the run's backends. */
  postgresRestart: boolean;
  /** Kafka session timeouts: how long a killed or paused consumer holds its partitions. */
  serviceSessionTimeoutMs: number;
  gatewaySessionTimeoutMs: number;
  redisUrl?: string;
  env?: Record<string, string>;
}

interface Instance {
  id: string;
  app: string;
  port: number;
  env: Record<string, string>;
  managed?: ManagedApp;
  /** Set while the chaos suite itself has the instance down (kill, stop). */
  heldDown: boolean;
}

export interface UnexpectedExit {
  instance: string;
  code: number | null;
  atMs: number;
}

/**
 * The five services and two gateway instances as processes, talking to a private Kafka broker
 * and to Postgres through proxies the run controls, on fresh databases and run-prefixed topics.
 * An instance that exits on its own is restarted (as an orchestrator would) and recorded.
 */
export class ChaosStack {
  readonly topicPrefix: string;
  readonly kafkaProxy: TcpProxy;
  /** What goes through `kafkaProxy`: whose connections, which Produce requests are in flight. */
  readonly kafkaTraffic = new KafkaTraffic();
  readonly postgresProxy: TcpProxy;
  readonly unexpectedExits: UnexpectedExit[] = [];
  private readonly instances = new Map<string, Instance>();
  private readonly databases = new Map<string, { url: string; name: string; drop: () => Promise<void> }>();
  private supervisor: AppSupervisor | undefined;
  private startedBroker = false;
  private closing = false;
  private readonly t0 = Date.now();
  private readonly paused = new Set<string>();

  constructor(private readonly options: ChaosStackOptions) {
    this.topicPrefix = `${options.name}.`;
    this.kafkaProxy = new TcpProxy('kafka', options.kafkaProxyPort, options.kafkaPort, '127.0.0.1', () =>
      this.kafkaTraffic.tap(),
    );
    this.postgresProxy = new TcpProxy('postgres', 0, Number(new URL(PG_ADMIN_URL).port || 5432));
  }

  get brokers(): string[] {
    return [this.kafkaProxy.address];
  }

  kafka(clientId: string): Kafka {
    return new Kafka({ clientId, brokers: this.brokers, logLevel: logLevel.NOTHING });
  }

  async start(): Promise<void> {
    await this.kafkaProxy.start();
    await this.postgresProxy.start();
    await this.brokerUp();
    this.startedBroker = true;
    await this.createTopics();
    const identities = await discoverApps(REPO_ROOT);
    for (const identity of identities) {
      this.databases.set(
        identity.name,
        await createTestDatabase(`chaos_${identity.name.replace(/-service$/, '')}`),
      );
    }
    this.supervisor = new AppSupervisor({
      root: REPO_ROOT,
      logDir: this.options.logDir,
      env: {
        NODE_ENV: 'test',
        JWT_SECRET: TEST_JWT_SECRET,
        KAFKA_BROKERS: this.brokers.join(','),
        MESSAGING_TOPIC_PREFIX: this.topicPrefix,
        KAFKA_TOPIC_PREFIX: this.topicPrefix,
        SHUTDOWN_TIMEOUT_MS: '15000',
        KAFKA_SESSION_TIMEOUT_MS: String(this.options.serviceSessionTimeoutMs),
        ...this.options.env,
      },
    });
    const ports = new Map<string, number>();
    for (const id of [...SERVICES, ...GATEWAYS]) ports.set(id, await freePort());
    for (const app of SERVICES) this.add(app, app, ports.get(app)!, {});
    const gatewayEnv = {
      INVENTORY_URL: `http://127.0.0.1:${ports.get('inventory-service')}`,
      ORDER_URL: `http://127.0.0.1:${ports.get('order-service')}`,
      GATEWAY_CONSUMER_GROUP: `${this.topicPrefix}gateway`,
      KAFKA_SESSION_TIMEOUT_MS: String(this.options.gatewaySessionTimeoutMs),
      SOCKET_IO_REDIS_STREAM: `orderflow:${this.options.name}:socket.io`,
      ...(this.options.redisUrl ? { REDIS_URL: this.options.redisUrl } : {}),
    };
    for (const id of GATEWAYS) this.add(id, 'gateway', ports.get(id)!, gatewayEnv);
    for (const instance of this.instances.values()) this.launch(instance);
    await Promise.all([...this.instances.values()].map((i) => this.waitReady(i.id, 180_000)));
  }

  url(instance: string): string {
    return `http://127.0.0.1:${this.instance(instance).port}`;
  }

  /** Direct URL of an app's database (not through the proxy): for the invariant checks. */
  databaseUrl(app: string): string {
    const db = this.databases.get(app);
    if (!db) throw new Error(`no database for ${app}`);
    return db.url;
  }

  databaseNames(): string[] {
    return [...this.databases.values()].map((db) => db.name);
  }

  pid(instance: string): number | undefined {
    return this.instance(instance).managed?.process.pid;
  }

  /** SIGKILL; the instance stays down until `revive`. */
  async kill(instance: string): Promise<void> {
    const entry = this.instance(instance);
    entry.heldDown = true;
    if (entry.managed) await this.supervisor!.kill(entry.managed);
  }

  /** Starts a killed instance again and waits until it is ready. */
  async revive(instance: string, timeoutMs = 180_000): Promise<void> {
    const entry = this.instance(instance);
    entry.heldDown = false;
    this.launch(entry);
    await this.waitReady(instance, timeoutMs);
  }

  /** The pause lane's SIGSTOP/SIGCONT. */
  signal(instance: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (signal === 'SIGSTOP') this.paused.add(instance);
    else this.paused.delete(instance);
    const pid = this.pid(instance);
    if (pid) process.kill(pid, signal);
  }

  /** A few ms of SIGSTOP, to look at what a process is doing at the moment it would be killed. */
  freeze(instance: string): void {
    const pid = this.pid(instance);
    if (pid && isAlive(pid)) process.kill(pid, 'SIGSTOP');
  }

  /** Ends a `freeze`, unless the pause lane holds the process stopped. */
  thaw(instance: string): void {
    const pid = this.pid(instance);
    if (pid && isAlive(pid) && !this.paused.has(instance)) process.kill(pid, 'SIGCONT');
  }

  async waitReady(instance: string, timeoutMs = 180_000): Promise<void> {
    await waitFor(
      `${instance} to be ready`,
      async () =>
        (await fetch(`${this.url(instance)}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok,
      { timeoutMs, intervalMs: 250 },
    );
  }

  async allReady(timeoutMs: number): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.waitReady(id, timeoutMs)));
  }

  /** SIGKILL the broker (it is the run's private one), then start it again. */
  async killBroker(): Promise<void> {
    const pidFile = join(this.options.kafkaStateDir, 'kafka.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    await waitFor('the broker to exit', () => !isAlive(pid), { timeoutMs: 15_000 });
  }

  async brokerUp(): Promise<void> {
    await run('bash', [join(REPO_ROOT, 'tools/infra/infra.sh'), 'up'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_PORT: String(this.options.kafkaPort),
        KAFKA_CONTROLLER_PORT: String(this.options.kafkaControllerPort),
        KAFKA_ADVERTISED_PORT: String(this.options.kafkaProxyPort),
        KAFKA_STATE_DIR: this.options.kafkaStateDir,
      },
      timeout: 180_000,
    });
    const admin = this.kafka('chaos-broker-check').admin();
    await waitFor(
      'the private broker to answer',
      async () => {
        await admin.connect();
        await admin.describeCluster();
        await admin.disconnect();
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }

  /** Terminates every backend of the run's databases, repeatedly for `holdMs` (an outage). */
  async postgresOutage(holdMs: number): Promise<number> {
    if (this.options.postgresRestart) {
      const version = readdirSync('/etc/postgresql').sort().at(-1)!;
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], {
        timeout: 120_000,
      });
      return 0;
    }
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    let terminated = 0;
    try {
      const until = Date.now() + holdMs;
      do {
        const res = await admin.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname = any($1) and pid <> pg_backend_pid()`,
          [this.databaseNames()],
        );
        terminated += res.rows.filter((r) => r.ok).length;
        await new Promise((resolve) => setTimeout(resolve, 200));
      } while (Date.now() < until);
    } finally {
      await admin.end();
    }
    return terminated;
  }

  async close(options: { keepDatabases?: boolean } = {}): Promise<void> {
    this.closing = true;
    for (const instance of this.instances.values()) {
      const pid = instance.managed?.process.pid;
      if (pid && isAlive(pid)) process.kill(pid, 'SIGCONT'); // a paused app cannot shut down
    }
    await this.supervisor?.stopAll();
    await this.kafkaProxy.close();
    await this.postgresProxy.close();
    if (!options.keepDatabases) await Promise.allSettled([...this.databases.values()].map((db) => db.drop()));
    if (this.startedBroker) await this.stopBroker();
  }

  private async stopBroker() {
    const pidFile = join(this.options.kafkaStateDir, 'kafka.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitFor('the broker to stop', () => !isAlive(pid), { timeoutMs: 30_000 }).catch(() =>
      process.kill(pid, 'SIGKILL'),
    );
  }

  private add(id: string, app: string, port: number, env: Record<string, string>) {
    this.instances.set(id, { id, app, port, env, heldDown: false });
  }

  private launch(instance: Instance) {
    const database = this.databases.get(instance.app)!;
    const viaProxy = new URL(database.url);
    viaProxy.port = String(this.postgresProxy.listenPort);
    const managed = this.supervisor!.start({
      name: instance.app,
      instance: instance.id,
      port: instance.port,
      env: { ...instance.env, DATABASE_URL: viaProxy.toString() },
    });
    instance.managed = managed;
    void managed.exited.then((code) => {
      if (this.closing || instance.heldDown || instance.managed !== managed) return;
      this.unexpectedExits.push({ instance: instance.id, code, atMs: Date.now() - this.t0 });
      setTimeout(() => {
        if (!this.closing && !instance.heldDown && instance.managed === managed) this.launch(instance);
      }, 1_000);
    });
  }

  private instance(id: string): Instance {
    const entry = this.instances.get(id);
    if (!entry) throw new Error(`${id} is not part of the chaos stack`);
    return entry;
  }

  private async createTopics() {
    const wanted = [
      ...Object.values(TOPICS).map((topic) => `${this.topicPrefix}${topic}`),
      ...this.deadLetterTopics(),
    ];
    await ensureTopics(this.kafka('chaos-topics'), wanted, TOPIC_PARTITIONS);
  }

  /** Dead-letter topics the run's consumer groups may write to (prefixed and unprefixed group names). */
  deadLetterTopics(): string[] {
    return [...SERVICES, 'gateway'].flatMap((app) => [
      deadLetterTopic(app),
      deadLetterTopic(`${this.topicPrefix}${app}`),
    ]);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
}
