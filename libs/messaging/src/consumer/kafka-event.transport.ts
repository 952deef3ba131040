import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { deadLetterTopic, EVENT_CATALOG, isEventType } from '@orderflow/contracts';
import { HealthRegistry, recordConsumerLag } from '@orderflow/service-defaults';
import { DeadLetterPublisher } from '../dead-letter/dead-letter-publisher';
import { ensureTopics } from '../kafka/ensure-topics';
import type { OutboxWriter } from '../outbox/outbox-writer';
import { BATCH_HANDLER_EXTRA, BatchHandlerGroup } from './event-batch';
import { EventHandler, EventProcessor, ProcessOutcome, transactionsOf } from './event-processor';
import { DEFAULT_RETRY_POLICY, RetryPolicy } from './failure-policy';
import { RunCoalescer } from './run-coalescer';

const DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY = 32;
/** Backoff of the start and of the restarts kafkajs leaves to us (see onCrash), doubling up to the maximum. */
const CONSUMER_RESTART_MS = { initial: 1_000, max: 30_000 };

export interface KafkaEventTransportOptions {
  kafka: Kafka;
  dataSource: DataSource;
  outbox: OutboxWriter;
  /** Consumer group id; by convention the service name. */
  group: string;
  topicPrefix?: string;
  retry?: Partial<RetryPolicy>;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * Partitions this member takes from one fetch at a time (each partition stays sequential). Their
   * runs are applied together in one transaction (RunCoalescer), so this is best at least the
   * number of partitions the member may be assigned.
   */
  partitionsConsumedConcurrently?: number;
  /** Most events of one partition taken in one go. */
  maxEventsPerRun?: number;
  /** Most events of all partitions' runs applied in one transaction. */
  maxEventsPerTransaction?: number;
  /** How often resolved offsets are committed to Kafka (they are redelivered and deduped if lost). */
  commitIntervalMs?: number;
  /** Where the transport registers its readiness check (the consumer runs). */
  health?: HealthRegistry;
  /** Called after each message, e.g. for metrics or tests. */
  onOutcome?: (outcome: ProcessOutcome, event: { topic: string; partition: number; offset: string }) => void;
}

/**
 * Nest transport strategy: serves `@EventPattern('<EventType>')` handlers from Kafka. Subscribes to
 * the topics of the handled event types, processes each partition in order, and commits an
 * offset only after the message's transaction committed (or it was dead-lettered).
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  private consumer: Consumer | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private deadLetters: DeadLetterPublisher | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Commits every resolved offset not yet committed (kafkajs' payload of the latest batch). */
  private commitResolved: (() => Promise<void>) | undefined;
  private committing: Promise<void> | undefined;
  private stopping = false;
  private consuming = false;
  /** Why the consumer is not running, for readiness. */
  private notConsuming = 'consumer not started yet';
  private readonly wakeSleepers = new Set<() => void>();
  private readonly options: KafkaEventTransportOptions & { retry: RetryPolicy };

  private get commitIntervalMs(): number {
    return this.options.commitIntervalMs ?? 1_000;
  }

  constructor(options: KafkaEventTransportOptions) {
    super();
    this.options = { ...options, retry: { ...DEFAULT_RETRY_POLICY, ...options.retry } };
  }

  /** Topics of the event types that have a handler. */
  subscribedTopics(): string[] {
    const topics = new Set<string>();
    for (const pattern of this.messageHandlers.keys()) {
      if (!isEventType(pattern))
        throw new Error(`@EventPattern('${pattern}') is not an event type of the catalog`);
      topics.add(`${this.options.topicPrefix ?? ''}${EVENT_CATALOG[pattern].topic}`);
    }
    return [...topics];
  }

  /**
   * Completes at once, so that the service serves HTTP (and reports readiness) while Kafka is
   * still unreachable; the consumer starts in the background and retries until it runs.
   */
  listen(callback: (error?: unknown) => void): void {
    let topics: string[];
    try {
      topics = this.subscribedTopics();
    } catch (error) {
      return callback(error);
    }
    if (topics.length > 0) {
      this.options.health?.register('kafka-consumer', async () => {
        if (!this.consuming) throw new Error(this.notConsuming);
      });
      this.retryUntilStopped('starting the consumer', () => this.start(topics), 0);
    }
    callback();
  }

  private async start(topics: string[]): Promise<void> {
    const { kafka, group } = this.options;
    const dlqTopic = deadLetterTopic(group);
    const deadLetters = new DeadLetterPublisher(kafka, group, dlqTopic);
    try {
      await ensureTopics(kafka, [...topics, dlqTopic]);
      await deadLetters.connect();
      const processor = new EventProcessor({
        group,
        transaction: transactionsOf(this.options.dataSource),
        outbox: this.options.outbox,
        deadLetters,
        retry: this.options.retry,
        handlerFor: (type) => this.invokerFor(type),
        pause: (ms) => this.pause(ms),
      });
      const coalescer = new RunCoalescer(processor, this.options.maxEventsPerTransaction ?? 500);
      this.deadLetters = deadLetters;
      await this.runConsumer(topics, coalescer);
    } catch (error) {
      this.deadLetters = undefined;
      await deadLetters.disconnect().catch((e: Error) => this.logger.debug?.(`disconnect: ${e.message}`));
      throw error;
    }
    if (this.stopping) return this.close(); // closed while it was starting
    // When traffic stops, the last offsets resolved would otherwise wait for the next batch.
    this.commitTimer = setInterval(() => void this.commitNow('interval'), this.commitIntervalMs);
    this.logger.log(`consuming ${topics.join(', ')} as ${group}`);
  }

  /** Connects a new consumer and runs it; a consumer that fails to start is disconnected again. */
  private async runConsumer(topics: string[], coalescer: RunCoalescer): Promise<void> {
    const { kafka, group } = this.options;
    const consumer = kafka.consumer({
      groupId: group,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (consumer === this.consumer) this.onCrash(payload, topics, coalescer);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      // autoCommit would send an OffsetCommit after every batch: a broker round trip per partition
      // per fetch. Offsets are committed on the interval instead (redelivery is deduped anyway).
      await consumer.run({
        autoCommit: false,
        autoCommitInterval: this.commitIntervalMs,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently:
          this.options.partitionsConsumedConcurrently ?? DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY,
        eachBatch: (payload) => this.consumeBatch(coalescer, payload),
      });
    } catch (error) {
      await consumer.disconnect().catch((e: Error) => this.logger.debug?.(`disconnect: ${e.message}`));
      throw error;
    }
    this.consuming = true;
  }

  /**
   * kafkajs restarts a crashed consumer only when the error is retriable. Others, such as "Broker
   * not connected" while the broker comes back from a restart, leave it disconnected for good and
   * the service silently stops consuming. Those are restarted here, with a new consumer.
   */
  private onCrash(
    crash: { error: Error; restart: boolean },
    topics: string[],
    coalescer: RunCoalescer,
  ): void {
    if (crash.restart || this.stopping) return;
    this.consuming = false;
    this.notConsuming = `consumer crashed: ${crash.error.message}`;
    this.logger.error(
      `consumer crashed and kafkajs will not restart it (${crash.error.message}); a new consumer starts in ${CONSUMER_RESTART_MS.initial} ms`,
    );
    this.retryUntilStopped(
      'restarting the consumer',
      () => this.runConsumer(topics, coalescer),
      CONSUMER_RESTART_MS.initial,
    );
  }

  /** Runs `attempt` after `delayMs`, and again after each failure with a doubling delay, until it succeeds or the transport stops. */
  private retryUntilStopped(what: string, attempt: () => Promise<void>, delayMs: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      attempt().catch((error: Error) => {
        if (this.stopping) return;
        const next = Math.min(Math.max(delayMs * 2, CONSUMER_RESTART_MS.initial), CONSUMER_RESTART_MS.max);
        this.notConsuming = `${what} failed: ${error.message}`;
        this.logger.error(`${what} failed (${error.message}); next attempt in ${next} ms`);
        this.retryUntilStopped(what, attempt, next);
      });
    }, delayMs);
  }

  private async consumeBatch(coalescer: RunCoalescer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    // From the latest batch: after a crash kafkajs restarts with a new group member, and the old
    // member's commits would be refused ("the coordinator is not aware of this member").
    this.commitResolved = () => commitOffsetsIfNecessary(payload.uncommittedOffsets());
    // Keeps the session alive while a long handler or a retry backoff runs.
    const keepAlive = setInterval(() => {
      heartbeat().catch((error: Error) => this.logger.debug?.(`heartbeat: ${error.message}`));
    }, this.options.heartbeatIntervalMs ?? 3_000);
    try {
      const chunkSize = this.options.maxEventsPerRun ?? 100;
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!isRunning() || isStale() || this.stopping) break;
        const chunk = batch.messages.slice(start, start + chunkSize);
        // A database or broker failure (even for the dead letter) throws: kafkajs then seeks back
        // and redelivers, nothing is skipped.
        const outcomes = await coalescer.submit({
          topic: batch.topic,
          partition: batch.partition,
          messages: chunk,
        });
        for (const [i, outcome] of outcomes.entries()) {
          this.options.onOutcome?.(outcome, {
            topic: batch.topic,
            partition: batch.partition,
            offset: chunk[i].offset,
          });
        }
        if (outcomes.length > 0) {
          const lastOffset = chunk[outcomes.length - 1].offset;
          resolveOffset(lastOffset);
          const lag = Number(batch.highWatermark) - Number(lastOffset) - 1;
          recordConsumerLag(this.options.group, batch.topic, batch.partition, lag);
        }
        await commitOffsetsIfNecessary();
        if (outcomes.length < chunk.length) break;
      }
    } finally {
      clearInterval(keepAlive);
    }
    if (this.stopping) await this.commitNow('stop');
  }

  /**
   * Commits what was resolved. A failed commit (e.g. during a rebalance) loses nothing: the new
   * owner of the partition gets those events again and its inbox reports them as duplicates.
   */
  private async commitNow(why: 'interval' | 'stop'): Promise<void> {
    if (why === 'stop') {
      // After the one in flight, which may have left out the offsets resolved since it began.
      await this.committing;
      return this.commitOnce(why);
    }
    // While the broker is away a commit waits for its request timeout: one at a time is enough.
    this.committing ??= this.commitOnce(why).finally(() => (this.committing = undefined));
    return this.committing;
  }

  private async commitOnce(why: 'interval' | 'stop'): Promise<void> {
    try {
      await this.commitResolved?.();
    } catch (error) {
      this.logger.warn(
        `offset commit (${why}) failed, those events will be redelivered: ${(error as Error).message}`,
      );
    }
  }

  /**
   * By event type, built on first use: Nest's lookup JSON.parses the pattern and throws for a
   * plain name, on every event (0.6 % of the gateway's CPU). Handlers are all registered by then.
   */
  private readonly invokers = new Map<string, EventHandler | undefined>();

  private invokerFor(type: string): EventHandler | undefined {
    if (!this.invokers.has(type)) this.invokers.set(type, this.createInvoker(type));
    return this.invokers.get(type);
  }

  private createInvoker(type: string): EventHandler | undefined {
    const handler = this.getHandlerByPattern(type);
    if (!handler) return undefined;
    const run = async (event: unknown, ctx: unknown) => {
      await lastValueFrom(this.transformToObservable(await handler(event, ctx)), { defaultValue: undefined });
    };
    const batch = handler.extras?.[BATCH_HANDLER_EXTRA] as BatchHandlerGroup | undefined;
    return batch ? { batch, run } : { run };
  }

  private pause(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleepers.delete(wake);
        resolve(!this.stopping);
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }

  /** Stops fetching, lets in-flight handlers finish, commits their offsets, leaves the group. */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.commitTimer);
    clearTimeout(this.restartTimer);
    for (const wake of [...this.wakeSleepers]) wake();
    await this.commitNow('stop');
    await this.consumer?.stop();
    await this.consumer?.disconnect();
    await this.deadLetters?.disconnect();
  }

  on(): never {
    throw new Error('KafkaEventTransport does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
