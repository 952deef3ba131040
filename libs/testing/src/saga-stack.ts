import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopic, TOPIC_PARTITIONS, TOPICS } from '@orderflow/contracts';
import { signToken } from '@orderflow/service-defaults';
import { AppSupervisor, discoverApps, ManagedApp, REPO_ROOT } from './app-supervisor';
import { freePort } from './free-port';
import { e2eVariable, ExternalTarget, ExternalTargetKind, externalTargetFromEnv } from './e2e-target';
import { createTestDatabase, KAFKA_BROKERS } from './infra';
import { uniqueName } from './names';
import { waitFor } from './wait-for';

export const TEST_JWT_SECRET = 'orderflow-test-secret-0123456789-abcdefghij';

/** The five services of the saga. */
export const SAGA_SERVICES = [
  'order-service',
  'inventory-service',
  'payment-service',
  'shipping-service',
  'notification-service',
] as const;
/** Every app of the system: the saga's services and the gateway. */
export const SYSTEM_APPS = [...SAGA_SERVICES, 'gateway'];

export interface SagaStackOptions {
  /** Apps to run (default: every app of the workspace, or every app the external target names). */
  apps?: readonly string[];
  /** Extra environment for every app, or per app name (only for apps this stack starts). */
  env?: Record<string, string>;
  appEnv?: Record<string, Record<string, string>>;
  /** Directory of the apps' log files (default tmp/logs/<run name>). */
  logDir?: string;
  readyTimeoutMs?: number;
  /** Start the apps even when E2E_TARGET names a running stack (default: attach to it). */
  attach?: boolean;
}

interface StackApp {
  name: string;
  url: string;
  databaseUrl?: string;
  /** Set when this stack runs the app as a process. */
  process?: AppProcess;
}

interface AppProcess {
  port: number;
  dropDatabase: () => Promise<void>;
  managed?: ManagedApp;
  /** Instances running, with those of addInstance (1 when unset). */
  instances?: number;
}

/**
 * The saga's apps for one test file. By default the built apps as real processes on fresh
 * databases, with topics and consumer groups of their own (`MESSAGING_TOPIC_PREFIX=<run>.`), so
 * several stacks and a local `npm start` never mix (run `node tools/build.mjs` first). With
 * E2E_TARGET set (compose, external) it attaches to that running stack instead: same URLs, tokens
 * and database access, but nothing to stop or restart (see test/e2e-targets.js).
 * One stack per test file: start in beforeAll, close in afterAll.
 */
export class SagaStack {
  private constructor(
    readonly name: string,
    readonly topicPrefix: string,
    /** The secret the apps verify bearer tokens with. */
    readonly jwtSecret: string,
    /** `processes` (started here) or the E2E_TARGET this stack attached to. */
    readonly target: 'processes' | ExternalTargetKind,
    private readonly apps: Map<string, StackApp>,
    private readonly processes?: { supervisor: AppSupervisor; readyTimeoutMs: number },
  ) {}

  static async start(options: SagaStackOptions = {}): Promise<SagaStack> {
    const external = options.attach === false ? undefined : externalTargetFromEnv();
    return external ? SagaStack.attachTo(external, options) : SagaStack.startProcesses(options);
  }

  url(app: string): string {
    return this.app(app).url;
  }

  databaseUrl(app: string): string {
    const url = this.app(app).databaseUrl;
    if (!url)
      throw new Error(
        `no database for ${app} on E2E_TARGET=${this.target}: set DATABASE_URL or ${e2eVariable(app, 'DATABASE_URL')}`,
      );
    return url;
  }

  /** A bearer token the stack's apps accept. */
  token(customerId: string, opts: { admin?: boolean } = {}): string {
    return signToken(customerId, this.jwtSecret, opts);
  }

  /** SIGTERM (graceful) or SIGKILL one app; its database and port stay for `restart`. */
  async stop(app: string, how: 'graceful' | 'kill' = 'graceful'): Promise<void> {
    const { supervisor } = this.processControl('stop');
    const managed = this.process(app).managed;
    if (!managed) return;
    if (how === 'kill') await supervisor.kill(managed);
    else await supervisor.stop(managed);
  }

  /** Starts a stopped app again (same port, same database) and waits until it is ready. */
  async restart(app: string): Promise<void> {
    const { supervisor } = this.processControl('restart');
    const entry = this.process(app);
    if (entry.managed) await supervisor.stop(entry.managed);
    this.launch(app, entry.managed?.spec.env ?? {});
    await this.waitReady(app);
  }

  /**
   * Starts one more instance of a running app: same settings, database, topics and consumer group,
   * a port of its own. Resolves to its URL once it is ready; `close()` stops it with the rest.
   */
  async addInstance(app: string, env: Record<string, string> = {}): Promise<string> {
    const { supervisor, readyTimeoutMs } = this.processControl('addInstance');
    const entry = this.process(app);
    if (!entry.managed) throw new Error(`${app} is not running`);
    entry.instances = (entry.instances ?? 1) + 1;
    const port = await freePort();
    const { spec } = entry.managed;
    const managed = supervisor.start({
      ...spec,
      env: { ...spec.env, ...env },
      instance: `${app}-${entry.instances}`,
      port,
    });
    await supervisor.waitReady(managed, readyTimeoutMs);
    return `http://127.0.0.1:${port}`;
  }

  logFile(app: string): string | undefined {
    return this.processControl('logFile').supervisor.logFile(app);
  }

  /** Stops every app, drops the databases and deletes the run's topics (nothing on an external target). */
  async close(): Promise<void> {
    if (!this.processes) return;
    await this.processes.supervisor.stopAll();
    await Promise.allSettled([...this.apps.values()].map((app) => app.process?.dropDatabase()));
    await deleteTopics(this.topicPrefix).catch(() => undefined); // best effort: the broker may be gone
  }

  private static async startProcesses(options: SagaStackOptions): Promise<SagaStack> {
    const name = uniqueName('saga');
    const topicPrefix = `${name}.`;
    const identities = (await discoverApps(REPO_ROOT)).filter(
      (app) => !options.apps || options.apps.includes(app.name),
    );
    const missing = (options.apps ?? []).filter((app) => !identities.some((i) => i.name === app));
    if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} (run node tools/build.mjs)`);
    const supervisor = new AppSupervisor({
      root: REPO_ROOT,
      logDir: options.logDir ?? join(REPO_ROOT, 'tmp/logs', name),
      env: {
        NODE_ENV: 'test',
        JWT_SECRET: TEST_JWT_SECRET,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        MESSAGING_TOPIC_PREFIX: topicPrefix,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        SHUTDOWN_TIMEOUT_MS: '15000',
        ...options.env,
      },
    });
    const apps = new Map<string, StackApp>();
    for (const identity of identities) {
      const database = await createTestDatabase(`saga_${identity.name.replace(/-service$/, '')}`);
      const port = await freePort();
      apps.set(identity.name, {
        name: identity.name,
        url: `http://127.0.0.1:${port}`,
        databaseUrl: database.url,
        process: { port, dropDatabase: database.drop },
      });
    }
    const jwtSecret = options.env?.JWT_SECRET ?? TEST_JWT_SECRET;
    const processes = { supervisor, readyTimeoutMs: options.readyTimeoutMs ?? 120_000 };
    const stack = new SagaStack(name, topicPrefix, jwtSecret, 'processes', apps, processes);
    try {
      // Created up front, once: apps that create the same fresh topic at the same moment race in
      // kafkajs (createTopics + waitForLeaders can crash the process with UNKNOWN_TOPIC_OR_PARTITION).
      await createTopics([
        ...Object.values(TOPICS).map((topic) => `${topicPrefix}${topic}`),
        ...identities.flatMap((app) => [
          deadLetterTopic(app.name),
          deadLetterTopic(`${topicPrefix}${app.name}`),
        ]),
      ]);
      for (const app of apps.keys())
        stack.launch(app, { ...stack.peerEnv(app), ...options.env, ...options.appEnv?.[app] });
      await Promise.all([...apps.keys()].map((app) => stack.waitReady(app)));
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  /** The running stack E2E_TARGET describes: its apps must answer ready within the timeout. */
  private static async attachTo(target: ExternalTarget, options: SagaStackOptions): Promise<SagaStack> {
    const custom = [...Object.keys(options.env ?? {}), ...Object.keys(options.appEnv ?? {})];
    if (custom.length > 0)
      throw new Error(
        `this file starts apps with its own environment (${custom.join(', ')}), which E2E_TARGET=${target.kind} ` +
          'cannot give them: list it as process-only in test/e2e-targets.js',
      );
    const names = options.apps ?? Object.keys(target.urls);
    const missing = names.filter((app) => !target.urls[app]).map((app) => e2eVariable(app));
    if (missing.length > 0) throw new Error(`E2E_TARGET=${target.kind} needs ${missing.join(', ')}`);
    const apps = new Map<string, StackApp>(
      names.map((app) => [app, { name: app, url: target.urls[app], databaseUrl: target.databaseUrls[app] }]),
    );
    const stack = new SagaStack(
      uniqueName(target.kind),
      target.topicPrefix,
      target.jwtSecret,
      target.kind,
      apps,
    );
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    await Promise.all(
      [...apps.values()].map((app) =>
        waitFor(
          `${app.name} to be ready at ${app.url}/health/ready (E2E_TARGET=${target.kind})`,
          async () => (await fetch(`${app.url}/health/ready`)).status === 200,
          { timeoutMs, intervalMs: 500 },
        ),
      ),
    );
    return stack;
  }

  /** What an app needs to find its peers in this stack (the gateway's storefront proxies two APIs). */
  private peerEnv(app: string): Record<string, string> {
    if (app !== 'gateway') return {};
    const peers: Record<string, string> = { GATEWAY_CONSUMER_GROUP: `${this.topicPrefix}gateway` };
    if (this.apps.has('order-service')) peers.ORDER_URL = this.url('order-service');
    if (this.apps.has('inventory-service')) peers.INVENTORY_URL = this.url('inventory-service');
    return peers;
  }

  /** Ready, or fails as soon as the process exits (pointing at its log) instead of at the deadline. */
  private async waitReady(app: string): Promise<void> {
    const { supervisor, readyTimeoutMs } = this.processControl('waitReady');
    const managed = this.process(app).managed!;
    const exited = managed.exited.then((code) => {
      throw new Error(
        `${app} exited with code ${code} before it was ready; see ${supervisor.logFile(managed.id)}`,
      );
    });
    try {
      await Promise.race([supervisor.waitReady(managed, readyTimeoutMs), exited]);
    } finally {
      exited.catch(() => undefined); // a later exit (stop/restart) is not this wait's failure
    }
  }

  private launch(app: string, env: Record<string, string>) {
    const entry = this.process(app);
    entry.managed = this.processControl('launch').supervisor.start({
      name: app,
      port: entry.port,
      env: { ...env, DATABASE_URL: this.app(app).databaseUrl! },
    });
  }

  private processControl(what: string): { supervisor: AppSupervisor; readyTimeoutMs: number } {
    if (!this.processes)
      throw new Error(
        `${what} needs the apps as processes of this test; E2E_TARGET=${this.target} is a running stack: ` +
          'list this file as process-only in test/e2e-targets.js',
      );
    return this.processes;
  }

  private process(app: string): AppProcess {
    const entry = this.app(app).process;
    if (!entry) throw new Error(`${app} is not a process of this stack`);
    return entry;
  }

  private app(name: string): StackApp {
    const app = this.apps.get(name);
    if (!app) throw new Error(`${name} is not part of this stack`);
    return app;
  }
}

function admin() {
  return new Kafka({ clientId: 'saga-stack', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
}

async function createTopics(topics: string[]): Promise<void> {
  const client = admin();
  await client.connect();
  try {
    const wanted = [...new Set(topics)];
    const existing = new Set(await client.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    // Another run may create a shared topic (dlq.<service>) at the same moment: what counts is
    // that every topic exists afterwards.
    await client
      .createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: TOPIC_PARTITIONS })),
        waitForLeaders: true,
      })
      .catch(() => false);
    await waitFor(`topics ${missing.join(', ')}`, async () => {
      await client.fetchTopicMetadata({ topics: missing });
      return true;
    });
  } finally {
    await client.disconnect();
  }
}

async function deleteTopics(prefix: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'saga-stack',
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(prefix) || t.startsWith(`dlq.${prefix}`),
    );
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
