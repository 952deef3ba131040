import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { createTestDatabase, KAFKA_BROKERS, uniqueName, waitFor } from '@orderflow/testing';
import { FixtureEnv, FixtureProcess } from './fixture-process';

export interface Effects {
  total: number;
  distinctEvents: number;
  violations: number;
}

/** One test's own database, topic prefix and consumer group, plus the fixture processes on them. */
export class MessagingTestBed {
  readonly kafka = new Kafka({
    clientId: 'messaging-test',
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  readonly topicPrefix = `${uniqueName('msg')}.`;
  /** The fixture's service name; its consumer group carries the topic prefix, as in every service. */
  readonly serviceName = uniqueName('fixture');
  readonly group = `${this.topicPrefix}${this.serviceName}`;
  readonly ordersTopic = `${this.topicPrefix}orders.events`;
  readonly statusTopic = `${this.topicPrefix}orders.status`;
  readonly dlqTopic = `dlq.${this.group}`;
  private readonly processes: FixtureProcess[] = [];
  private readonly readerGroups: string[] = [];
  private db!: Awaited<ReturnType<typeof createTestDatabase>>;
  private client!: Client;

  async setUp(): Promise<this> {
    this.db = await createTestDatabase('messaging');
    this.client = new Client({ connectionString: this.db.url });
    await this.client.connect();
    return this;
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await this.client?.end();
    await this.db?.drop();
    await this.deleteKafkaResources();
  }

  /** Topics and groups are unique to the run: leave the shared broker as it was. */
  private async deleteKafkaResources(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = [this.ordersTopic, this.statusTopic, this.dlqTopic].filter((topic) =>
        existing.has(topic),
      );
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.deleteGroups([this.group, ...this.readerGroups]).catch(() => undefined); // some never existed
    } finally {
      await admin.disconnect();
    }
  }

  get databaseUrl(): string {
    return this.db.url;
  }

  start(instance: string, options: Partial<FixtureEnv> = {}): FixtureProcess {
    const process = new FixtureProcess({
      group: this.serviceName,
      databaseUrl: this.db.url,
      topicPrefix: this.topicPrefix,
      instance,
      ...options,
    });
    this.processes.push(process);
    return process;
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  async effects(): Promise<Effects> {
    const [row] = await this.query<{ total: string; distinct_events: string; violations: string }>(
      `select count(*) as total, count(distinct event_id) as distinct_events,
              (select count(*) from fixture_violation) as violations from fixture_effect`,
    );
    return {
      total: Number(row.total),
      distinctEvents: Number(row.distinct_events),
      violations: Number(row.violations),
    };
  }

  async waitForEffects(count: number, timeoutMs = 60_000): Promise<Effects> {
    return waitFor(
      `${count} effects`,
      async () => {
        const effects = await this.effects();
        return effects.distinctEvents >= count ? effects : false;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** Sum of the latest offsets of every partition of a topic: how many messages it holds. */
  async messageCount(topic: string): Promise<number> {
    const offsets = await this.withAdmin((admin) => admin.fetchTopicOffsets(topic));
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }

  /** The group's committed offset of each partition of the orders topic (absent: none yet). */
  async committedOffsets(): Promise<Map<number, string>> {
    return this.withAdmin(async (admin) => {
      const [topic] = await admin.fetchOffsets({ groupId: this.group, topics: [this.ordersTopic] });
      return new Map(topic.partitions.filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]));
    });
  }

  /** The offset after the last message of each partition. */
  async endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    return this.withAdmin(async (admin) =>
      (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({ partition, offset: high })),
    );
  }

  private async withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** Reads a topic from the beginning until `done` holds for what arrived, or times out. */
  async readTopic(
    topic: string,
    done: (messages: KafkaMessage[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const groupId = uniqueName('reader');
    this.readerGroups.push(groupId);
    const consumer = this.kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
      await waitFor(`messages on ${topic}`, () => done(messages), { timeoutMs });
      return messages;
    } finally {
      await consumer.disconnect();
    }
  }
}

export const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

/**
 * Sets up a test bed of its own for each test (or once for the suite) and tears it down after,
 * handing it to `use`: members left over from one test would take partitions in the next.
 */
export function withTestBed(use: (bed: MessagingTestBed) => void, scope: 'each' | 'all' = 'each'): void {
  let bed: MessagingTestBed | undefined;
  (scope === 'each' ? beforeEach : beforeAll)(async () => {
    bed = await new MessagingTestBed().setUp();
    use(bed);
  });
  (scope === 'each' ? afterEach : afterAll)(async () => {
    await bed?.tearDown();
  });
}
