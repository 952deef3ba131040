import { createServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import { deadLetterTopic, EVENT_CATALOG } from '@orderflow/contracts';
import { ensureTopics } from '@orderflow/messaging';
import { signToken } from '@orderflow/service-defaults';
import {
  AppSupervisor,
  createTestDatabase,
  KAFKA_BROKERS,
  ManagedApp,
  REPO_ROOT,
  TEST_JWT_SECRET,
  uniqueName,
} from '@orderflow/testing';

/**
 * One built gateway (NODE_ENV=production) on a fresh database, reading this run's status topic
 * (`MESSAGING_TOPIC_PREFIX`) with a consumer group of its own.
 */
export class GatewayProcess {
  private constructor(
    readonly runName: string,
    readonly topicPrefix: string,
    private readonly supervisor: AppSupervisor,
    readonly app: ManagedApp,
    private readonly db: { drop: () => Promise<void> },
  ) {}

  static async start(options: { logLevel: string; redis?: string; heapMb: number }): Promise<GatewayProcess> {
    const runName = uniqueName('gwbench');
    const topicPrefix = `${runName}.`;
    const group = `gateway-${runName}`;
    // Created here, once: a consumer creating fresh topics itself can race in kafkajs.
    await ensureTopics(kafka(), [
      `${topicPrefix}${EVENT_CATALOG.OrderStatusChanged.topic}`,
      deadLetterTopic(group),
    ]);
    const db = await createTestDatabase('bench_gateway');
    const supervisor = new AppSupervisor({
      root: REPO_ROOT,
      logDir: join(REPO_ROOT, 'tmp/logs', runName),
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: options.logLevel,
        JWT_SECRET: TEST_JWT_SECRET,
        KAFKA_BROKERS: KAFKA_BROKERS.join(','),
        DATABASE_URL: db.url,
        MESSAGING_TOPIC_PREFIX: topicPrefix,
        GATEWAY_CONSUMER_GROUP: group,
        SOCKET_IO_REDIS_STREAM: `orderflow:${runName}:socket.io`,
        APP_HEAP_MB: String(options.heapMb),
        // Sockets per instance is measured against memory, not against the deployed limit.
        SOCKET_MAX_CONNECTIONS: '1000000',
        ...(options.redis ? { REDIS_URL: options.redis } : {}),
      },
    });
    const app = supervisor.start({ name: 'gateway', instance: `gateway-${runName}`, port: await freePort() });
    const gateway = new GatewayProcess(runName, topicPrefix, supervisor, app, db);
    try {
      await supervisor.waitReady(app, 120_000);
    } catch (error) {
      await gateway.close();
      throw error;
    }
    return gateway;
  }

  get url(): string {
    return this.app.url;
  }

  get pid(): number {
    return this.app.process.pid!;
  }

  token(customerId: string): string {
    return signToken(customerId, TEST_JWT_SECRET);
  }

  logFile(): string | undefined {
    return this.supervisor.logFile(this.app.id);
  }

  /** Stops the gateway, drops its database and deletes the run's topics. */
  async close(): Promise<void> {
    await this.supervisor.stopAll();
    await this.db.drop();
    const admin = kafka().admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter(
        (t) => t.startsWith(this.topicPrefix) || t === deadLetterTopic(`gateway-${this.runName}`),
      );
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }
}

const kafka = () =>
  new Kafka({ clientId: 'bench-gateway', brokers: KAFKA_BROKERS, logLevel: kafkaLogLevel.NOTHING });

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
