import { Logger } from '@nestjs/common';
import { Kafka, Message, Producer } from 'kafkajs';
import { Client } from 'pg';
import { observeOutboxBacklog, withProducerSpans } from '@orderflow/service-defaults';
import { idempotentProducer, renewProducer } from '../kafka/idempotent-producer';
import { OUTBOX_CHANNEL } from './messaging-schema.migration';

export interface OutboxRelayOptions {
  /** URL of the service's database. The relay holds one dedicated connection of its own. */
  connectionString: string;
  kafka: Kafka;
  /**
   * Events per Kafka send, and per read under load: a read takes whole rows, up to the first that
   * reaches this many events, so it may hold more (sent in several sends).
   */
  batchSize?: number;
  /** Fallback poll when no notification arrives (lost NOTIFY, relay restarted, ...). */
  pollIntervalMs?: number;
  /** A read that returns at least this many events means load: the relay polls instead of listening. */
  busyThreshold?: number;
  /** Pause between reads under load, so that rows accumulate into batches. */
  busyPollMs?: number;
  /** How often a standby relay tries to become the active one. */
  standbyRetryMs?: number;
  /**
   * Dedupe records (messaging_inbox) are deleted after this long. Must exceed the retention of the
   * topics consumed, or a very late redelivery would be applied again.
   */
  inboxRetentionMs?: number;
  cleanupIntervalMs?: number;
  /** Runs before the first publish (e.g. creating the topics); a failure is retried like any other. */
  prepare?: () => Promise<void>;
}

/** One event of an outbox row, in the row's order. */
type RelayRow = {
  id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string>;
  payload: string;
};

/**
 * The rows of one relay read: the oldest, up to the first that reaches `$1` events (ADR 0057).
 * `event_count` sizes the batch without reading the arrays.
 */
export const OUTBOX_BATCH_ROWS = `select id, event_count, events
  from (select id, event_count, events, sum(event_count) over (order by id) - event_count as before
          from messaging_outbox order by id limit $1) as w
 where before < $1`;

/** Key of the session advisory lock that makes one relay per database the active one. */
const RELAY_LEADER_LOCK = 727_002;

/**
 * Publishes committed outbox rows to Kafka, at least once and in `id` order (a row's events in
 * their array order), and deletes each batch once the broker has acknowledged it: a row in the
 * outbox holds events not yet published.
 *
 * One relay per database is active at a time: it holds a session advisory lock on its own
 * connection, and reads, publishes and deletes rows through that same connection, so a relay that
 * loses its session (and with it the lock) cannot delete anything. Other replicas wait as standbys.
 * The relay reads the lowest ids still there, never "ids greater than the last one", so a row
 * whose identity value became visible late is still published. See docs/adr/0040-* and 0047-*.
 */
export class OutboxRelay {
  private readonly logger = new Logger('outbox-relay');
  private readonly options: Required<Omit<OutboxRelayOptions, 'prepare'>> &
    Pick<OutboxRelayOptions, 'prepare'>;
  private producer: Producer | undefined;
  private client: Client | undefined;
  private active = false;
  private producerConnected = false;
  /** Last value written to messaging_relay_state.listening; unknown until this relay writes it. */
  private listening: boolean | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pendingWake = false;
  private lastCleanup = 0;
  private unobserveBacklog: (() => void) | undefined;

  constructor(options: OutboxRelayOptions) {
    this.options = {
      batchSize: 500,
      pollIntervalMs: 1_000,
      busyThreshold: 10,
      busyPollMs: 5,
      standbyRetryMs: 1_000,
      inboxRetentionMs: 14 * 24 * 3_600_000,
      cleanupIntervalMs: 60_000,
      ...options,
    };
  }

  get isActive(): boolean {
    return this.active;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.producer = idempotentProducer(this.options.kafka);
    this.unobserveBacklog = observeOutboxBacklog(() => this.backlog());
    // Connects to Kafka once active, inside the loop: a broker that is down delays, never fails, start-up.
    this.loop = this.run();
  }

  /** After a failed send: the batch goes out again through a new producer (see renewProducer). */
  private async replaceProducer(): Promise<void> {
    this.producer = await renewProducer(this.options.kafka, this.producer, this.logger);
    this.producerConnected = false;
  }

  /** Unpublished events and the age of the oldest, for the metrics; only the active relay reports. */
  private async backlog(): Promise<{ events: number; oldestAgeSeconds: number } | undefined> {
    if (!this.active || !this.client) return undefined;
    const { rows } = await this.client.query<{ events: number; age: number }>(
      `select coalesce(sum(event_count), 0)::int as events,
              coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
       from messaging_outbox`,
    );
    return { events: rows[0].events, oldestAgeSeconds: rows[0].age };
  }

  /** Publishes everything committed so far (when active), then stops and disconnects. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unobserveBacklog?.();
    this.wakeUp();
    await this.loop;
    try {
      if (this.active) await this.drain();
    } finally {
      await this.closeConnection();
      await this.producer?.disconnect();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.active) {
          await this.tryBecomeActive();
          if (!this.active) {
            await this.sleep(this.options.standbyRetryMs);
            continue;
          }
        }
        const published = await this.publishBatch();
        await this.cleanupIfDue();
        if (published >= this.options.busyThreshold) {
          // Under load: poll again shortly, without NOTIFY (which would serialize the writers).
          await this.setListening(false);
          if (published < this.options.batchSize) await this.sleep(this.options.busyPollMs);
        } else if (await this.goIdle()) {
          await this.sleep(this.options.pollIntervalMs);
        }
      } catch (error) {
        this.logger.error(`relay cycle failed, reconnecting: ${(error as Error).message}`);
        if (isKafkaError(error)) await this.replaceProducer();
        await this.closeConnection();
        await this.sleep(this.options.standbyRetryMs);
      }
    }
  }

  private async tryBecomeActive(): Promise<void> {
    if (!this.client) {
      const client = new Client({
        connectionString: this.options.connectionString,
        application_name: 'outbox-relay',
      });
      client.on('error', (error) => this.logger.warn(`relay connection error: ${error.message}`));
      client.on('notification', () => this.wakeUp());
      await client.connect();
      // Deleted rows leave dead entries at the low end of the primary key until vacuum. A bitmap
      // scan visits every one of them on each poll (measured with the earlier partial index: 850
      // buffers for 10 rows at 75 orders/s); a plain index scan marks them dead once and skips
      // them afterwards (57 buffers).
      await client.query('set enable_bitmapscan = off');
      this.client = client;
    }
    const { rows } = await this.client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1) as locked',
      [RELAY_LEADER_LOCK],
    );
    if (!rows[0].locked) return;
    await this.client.query(`listen ${OUTBOX_CHANNEL}`);
    if (!this.producerConnected) {
      await this.options.prepare?.();
      await this.producer!.connect();
      this.producerConnected = true;
    }
    this.active = true;
    this.listening = undefined;
    this.logger.log('outbox relay is active');
  }

  /**
   * Busy, the relay asks writers not to NOTIFY (it polls anyway); before sleeping it asks for
   * notifications again, then reads once more for rows whose writers had not seen the request.
   * Returns false when that read found work, so the loop goes on instead of sleeping.
   */
  private async goIdle(): Promise<boolean> {
    if (this.listening) return true;
    await this.setListening(true);
    return (await this.publishBatch()) === 0;
  }

  private async setListening(listening: boolean): Promise<void> {
    if (this.listening === listening) return;
    await this.requireClient().query('update messaging_relay_state set listening = $1', [listening]);
    this.listening = listening;
  }

  private async drain(): Promise<void> {
    while ((await this.publishBatch()) >= this.options.batchSize);
  }

  /**
   * Reads the oldest rows, up to the first that reaches `batchSize` events, sends their events in
   * order and deletes the rows. Returns how many events; fewer than `batchSize` means none were left.
   */
  private async publishBatch(): Promise<number> {
    const client = this.requireClient();
    // Named, so Postgres parses and plans it once per connection: planning this read costs more
    // than running it on a small batch (docs/performance.md, nineteenth pass).
    const { rows } = await client.query<RelayRow>({
      name: 'outbox-relay-read',
      text: `select b.id, e.topic, e.key as message_key, e.headers, e.payload::text as payload
         from (${OUTBOX_BATCH_ROWS}) as b
        cross join lateral rows from (
          json_to_recordset(b.events) as (topic text, key text, headers json, payload json)
        ) with ordinality as e(topic, key, headers, payload, position)
        order by b.id, e.position`,
      values: [this.options.batchSize],
    });
    if (rows.length === 0) return 0;
    // A row holds a whole transaction, which may be larger than a batch (a consumer catching up
    // applies a large fetch at once): its events go out in sends of at most batchSize, in order.
    for (let from = 0; from < rows.length; from += this.options.batchSize)
      await this.send(rows.slice(from, from + this.options.batchSize));
    // A crash here republishes the batch after restart: at least once, consumers dedupe. Deleting
    // (not marking) writes no new row version: a mark rewrote the row, payload and all (ADR 0047).
    await client.query({
      name: 'outbox-relay-delete',
      text: 'delete from messaging_outbox where id = any($1::bigint[])',
      values: [[...new Set(rows.map((row) => row.id))]],
    });
    return rows.length;
  }

  /** Sends events in order, each with a PRODUCER span, child of the trace context stored with it (ADR 0012). */
  private async send(rows: RelayRow[]): Promise<void> {
    const messages = rows.map((row) => ({
      topic: row.topic,
      key: row.message_key,
      headers: row.headers,
      value: row.payload,
    }));
    await withProducerSpans(messages, (traced) => {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, key, value, headers } of traced) {
        const list = byTopic.get(topic) ?? [];
        list.push({ key, value, headers });
        byTopic.set(topic, list);
      }
      return this.producer!.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    });
  }

  private async cleanupIfDue(): Promise<void> {
    if (Date.now() - this.lastCleanup < this.options.cleanupIntervalMs) return;
    this.lastCleanup = Date.now();
    const inbox = await this.requireClient().query(
      `delete from messaging_inbox where processed_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [this.options.inboxRetentionMs],
    );
    if (inbox.rowCount) this.logger.log(`retention: deleted ${inbox.rowCount} inbox rows`);
  }

  private requireClient(): Client {
    if (!this.client) throw new Error('relay has no database connection');
    return this.client;
  }

  private async closeConnection(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.active = false;
    // Ending the session releases the advisory lock, so a standby takes over.
    await client
      ?.end()
      .catch((error: Error) => this.logger.warn(`closing relay connection: ${error.message}`));
  }

  private wakeUp(): void {
    this.pendingWake = true;
    this.wake?.();
  }

  /** Waits for a NOTIFY, a stop, or the timeout, whichever comes first. */
  private async sleep(ms: number): Promise<void> {
    if (this.pendingWake || !this.running) {
      this.pendingWake = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
    this.pendingWake = false;
  }
}

/** kafkajs' errors (KafkaJSProtocolError, KafkaJSNonRetriableError, …) as opposed to the database's. */
function isKafkaError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}
