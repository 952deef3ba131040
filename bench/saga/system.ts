import { join, resolve } from 'node:path';
import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import { deadLetterTopic } from '@orderflow/contracts';
import { ensureTopics } from '@orderflow/messaging';
import {
  AppSupervisor,
  KAFKA_BROKERS,
  createTestDatabase,
  freePort,
  ManagedApp,
  REPO_ROOT,
  SAGA_SERVICES,
  SagaStack,
  TEST_JWT_SECRET,
} from '@orderflow/testing';

export type AppName = (typeof SAGA_SERVICES)[number] | 'gateway';

/** The five services and the gateway, built apps with production settings, on fresh databases. */
export class BenchSystem {
  private constructor(
    readonly stack: SagaStack,
    private readonly gatewaySupervisor: AppSupervisor,
    readonly gateway: ManagedApp,
    private readonly gatewayDb: { name: string; url: string; drop: () => Promise<void> },
    /** URLs of the extra instances of each service (`--replicas`), after its first. */
    private readonly extraUrls: Record<string, string[]> = {},
  ) {}

  static async start(
    logLevel: string,
    profile: { apps: string[]; dir: string },
    appEnv: Record<string, Record<string, string>> = {},
    replicas: Record<string, number> = {},
    relayProcess: string[] = [],
  ): Promise<BenchSystem> {
    const production = { NODE_ENV: 'production', LOG_LEVEL: logLevel };
    const profiled = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${resolve(profile.dir)}` };
    const stack = await SagaStack.start({
      apps: [...SAGA_SERVICES],
      env: production,
      appEnv: Object.fromEntries(
        SAGA_SERVICES.map((app) => [
          app,
          {
            ...(profile.apps.includes(app) ? profiled : {}),
            ...(relayProcess.includes(app) ? { OUTBOX_RELAY: 'off' } : {}),
            ...appEnv[app],
          },
        ]),
      ),
    });
    const gatewayDb = await createTestDatabase('bench_gateway');
    const group = gatewayGroup(stack.name);
    // Created here, once: a consumer creating its fresh dead-letter topic itself can crash in
    // kafkajs (UNKNOWN_TOPIC_OR_PARTITION while waiting for leaders).
    const kafka = new Kafka({ clientId: 'bench', brokers: KAFKA_BROKERS, logLevel: kafkaLogLevel.NOTHING });
    await ensureTopics(kafka, [deadLetterTopic(group)]);
    // The gateway needs the services' URLs, known only once the stack is up; its consumer group
    // is per run so that it reads this run's statuses only.
    const supervisor = new AppSupervisor({
      root: REPO_ROOT,
      logDir: join(REPO_ROOT, 'tmp/logs', stack.name),
      env: {
        ...production,
        JWT_SECRET: TEST_JWT_SECRET,
        DATABASE_URL: gatewayDb.url,
        MESSAGING_TOPIC_PREFIX: stack.topicPrefix,
        GATEWAY_CONSUMER_GROUP: group,
        ...(profile.apps.includes('gateway') ? profiled : {}),
        ...appEnv['gateway'],
        INVENTORY_URL: stack.url('inventory-service'),
        ORDER_URL: stack.url('order-service'),
      },
    });
    const gateway = supervisor.start({
      name: 'gateway',
      instance: `gateway-${stack.name}`,
      port: await freePort(),
    });
    const system = new BenchSystem(stack, supervisor, gateway, gatewayDb);
    try {
      await supervisor.waitReady(gateway, 120_000);
      for (const [app, count] of Object.entries(replicas))
        for (let i = 1; i < count; i++) (system.extraUrls[app] ??= []).push(await stack.addInstance(app));
      // Not among the URLs the load generator posts to: it serves health and metrics only.
      for (const app of relayProcess) await stack.addInstance(app, { OUTBOX_RELAY: 'only' });
    } catch (error) {
      await system.close();
      throw error;
    }
    return system;
  }

  url(app: AppName): string {
    return app === 'gateway' ? this.gateway.url : this.stack.url(app);
  }

  /** Every instance's URL: the load generator spreads its requests over them. */
  urls(app: AppName): string[] {
    return [this.url(app), ...(this.extraUrls[app] ?? [])];
  }

  /** Database name of every app of this run (for pg_stat_database). */
  databases(): Record<AppName, string> {
    const names = Object.fromEntries(
      SAGA_SERVICES.map((app) => [app, new URL(this.stack.databaseUrl(app)).pathname.slice(1)]),
    ) as Record<AppName, string>;
    names.gateway = this.gatewayDb.name;
    return names;
  }

  databaseUrl(app: AppName): string {
    return app === 'gateway' ? this.gatewayDb.url : this.stack.databaseUrl(app);
  }

  token(customerId: string, opts: { admin?: boolean } = {}): string {
    return this.stack.token(customerId, opts);
  }

  async close(): Promise<void> {
    await this.gatewaySupervisor.stopAll();
    await this.gatewayDb.drop();
    await this.stack.close();
    await deleteTopic(deadLetterTopic(gatewayGroup(this.stack.name)));
  }
}

/** The gateway's consumer group: per run, so that it reads this run's statuses only. */
export const gatewayGroup = (runName: string) => `gateway-${runName}`;

async function deleteTopic(topic: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'bench',
    brokers: KAFKA_BROKERS,
    logLevel: kafkaLogLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}
