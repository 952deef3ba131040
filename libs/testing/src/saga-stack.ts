import { createServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopic, TOPIC_PARTITIONS, TOPICS } from '@orderflow/contracts';
import { signToken } from '@orderflow/service-defaults';
import { AppIdentity, AppSupervisor, discoverApps, ManagedApp, REPO_ROOT } from './app-supervisor';
import { createTestDatabase, KAFKA_BROKERS } from './infra';
import { uniqueName } from './names';
import { waitFor } from './wait-for';

export const TEST_JWT_SECRET = 'orderflow-test-secret-0123456789-abcdefghij';

export interface SagaStackOptions {
  /** Apps to run (default: every app of the workspace). */
  apps?: string[];
  /** Extra environment for every app, or per app name. */
  env?: Record<string, string>;
  appEnv?: Record<string, Record<string, string>>;
  /** Directory of the apps' log files (default tmp/logs/<run name>). */
  logDir?: string;
  readyTimeoutMs?: number;
}

interface StackApp {
  identity: AppIdentity;
  port: number;
  databaseUrl: string;
  dropDatabase: () => Promise<void>;
  managed?: ManagedApp;
}

/**
 * The built apps as real processes on fresh databases, with topics and consumer groups of their
 * own (`MESSAGING_TOPIC_PREFIX=<run>.`), so several stacks and a local `npm start` never mix.
 * Run `node tools/build.mjs` first. One stack per test file: start in beforeAll, close in afterAll.
 */
export class SagaStack {
  private constructor(
    readonly name: string,
    readonly topicPrefix: string,
    readonly supervisor: AppSupervisor,
    private readonly apps: Map<string, StackApp>,
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: SagaStackOptions = {}): Promise<SagaStack> {
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
      apps.set(identity.name, {
        identity,
        port: await freePort(),
        databaseUrl: database.url,
        dropDatabase: database.drop,
      });
    }
    const stack = new SagaStack(name, topicPrefix, supervisor, apps, options.readyTimeoutMs ?? 120_000);
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
      for (const app of apps.values()) stack.launch(app, options.appEnv?.[app.identity.name]);
      await Promise.all([...apps.values()].map((app) => stack.waitReady(app)));
    } catch (error) {
      await stack.close();
      throw error;
    }
    return stack;
  }

  url(app: string): string {
    return `http://127.0.0.1:${this.app(app).port}`;
  }

  databaseUrl(app: string): string {
    return this.app(app).databaseUrl;
  }

  /** A bearer token the stack's apps accept. */
  token(customerId: string, opts: { admin?: boolean } = {}): string {
    return signToken(customerId, TEST_JWT_SECRET, opts);
  }

  /** SIGTERM (graceful) or SIGKILL one app; its database and port stay for `restart`. */
  async stop(app: string, how: 'graceful' | 'kill' = 'graceful'): Promise<void> {
    const managed = this.app(app).managed;
    if (!managed) return;
    if (how === 'kill') await this.supervisor.kill(managed);
    else await this.supervisor.stop(managed);
  }

  /** Starts a stopped app again (same port, same database) and waits until it is ready. */
  async restart(app: string): Promise<void> {
    const entry = this.app(app);
    if (entry.managed) await this.supervisor.stop(entry.managed);
    this.launch(entry, entry.managed?.spec.env);
    await this.waitReady(entry);
  }

  logFile(app: string): string | undefined {
    return this.supervisor.logFile(app);
  }

  /** Stops every app, drops the databases and deletes the run's topics. */
  async close(): Promise<void> {
    await this.supervisor.stopAll();
    await Promise.allSettled([...this.apps.values()].map((app) => app.dropDatabase()));
    await deleteTopics(this.topicPrefix).catch(() => undefined); // best effort: the broker may be gone
  }

  /** Ready, or fails as soon as the process exits (pointing at its log) instead of at the deadline. */
  private async waitReady(app: StackApp): Promise<void> {
    const managed = app.managed!;
    const exited = managed.exited.then((code) => {
      throw new Error(
        `${app.identity.name} exited with code ${code} before it was ready; see ${this.logFile(managed.id)}`,
      );
    });
    try {
      await Promise.race([this.supervisor.waitReady(managed, this.readyTimeoutMs), exited]);
    } finally {
      exited.catch(() => undefined); // a later exit (stop/restart) is not this wait's failure
    }
  }

  private launch(app: StackApp, env?: Record<string, string>) {
    app.managed = this.supervisor.start({
      name: app.identity.name,
      port: app.port,
      env: { ...env, DATABASE_URL: app.databaseUrl },
    });
  }

  private app(name: string): StackApp {
    const app = this.apps.get(name);
    if (!app) throw new Error(`${name} is not part of this stack`);
    return app;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
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
