import { Logger } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { validateEvent } from '@orderflow/contracts';
import {
  ConsumedMessage,
  ConsumerSpan,
  LastWrite,
  recordDeadLetter,
  recordRetry,
  startConsumerSpan,
  transactionWithLastWrites,
  withConsumerSpan,
} from '@orderflow/service-defaults';
import { decodeEnvelope, EventEnvelope } from '../envelope/event-envelope';
import type { OutboxWriter, OutgoingEvent } from '../outbox/outbox-writer';
import type { DeadLetterPublisher } from '../dead-letter/dead-letter-publisher';
import { BatchEventContext, BatchHandlerGroup } from './event-batch';
import { DeliveryInfo, EventContext } from './event-context';
import { backoffDelay, InvalidEventError, isOutage, isPermanent, RetryPolicy } from './failure-policy';

/** `ignored`: this service has no handler for the event's type (topics carry several types). */
export type ProcessOutcome = 'processed' | 'duplicate' | 'dead-lettered' | 'ignored';

/** The Nest handler of an event type; `run` rejects with the handler's own error. */
export type EventHandler =
  | { batch?: undefined; run: (event: EventEnvelope, ctx: EventContext) => Promise<void> }
  | { batch: BatchHandlerGroup; run: (events: EventEnvelope[], ctx: BatchEventContext) => Promise<void> };

export type HandlerInvoker = (type: string) => EventHandler | undefined;

type BatchHandler = Extract<EventHandler, { batch: BatchHandlerGroup }>;

/** A partition's messages as one kafkajs worker holds them, in offset order. */
export interface ConsumerRun {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

type RunEntry = { envelope: EventEnvelope; delivery: DeliveryInfo };

/** Thrown when shutdown interrupts a retry: the offset stays uncommitted, the event is redelivered. */
export class ProcessingInterrupted extends Error {
  override readonly name = 'ProcessingInterrupted';
}

/**
 * Runs `work` in a transaction and commits it, writing the `lastWrites` it returns right before the
 * COMMIT (transactionWithLastWrites); rejects, with nothing committed, if any of it fails.
 */
export type TransactionRunner = <T>(
  work: (manager: EntityManager) => Promise<{ result: T; lastWrites?: LastWrite[] }>,
) => Promise<T>;

/** The consumer's transactions on the service's database. */
export function transactionsOf(dataSource: DataSource): TransactionRunner {
  return (work) => transactionWithLastWrites(dataSource, work);
}

/**
 * What the handlers of a transaction left to send with its COMMIT: their queued last writes
 * (`writeAtCommit`) and the events they published, in order.
 */
class PendingWrites {
  private readonly writes: LastWrite[] = [];
  private readonly published: OutgoingEvent[] = [];

  add(ctx: BatchEventContext): void {
    this.writes.push(...ctx.takeWrites());
    this.published.push(...ctx.takePublished());
  }

  /** Sends the queued writes now, before another handler runs: it must see their effects. */
  async flush(manager: EntityManager): Promise<void> {
    for (const write of this.writes.splice(0)) await manager.query(write.sql, write.params);
  }

  /** The statements to pipeline with COMMIT: the writes still queued, then the outbox insert. */
  atCommit(outbox: OutboxWriter): LastWrite[] {
    const insert = outbox.statement(this.published);
    return insert ? [...this.writes, insert] : [...this.writes];
  }
}

export interface EventProcessorDeps {
  group: string;
  transaction: TransactionRunner;
  outbox: OutboxWriter;
  deadLetters: DeadLetterPublisher;
  handlerFor: HandlerInvoker;
  retry: RetryPolicy;
  /** Sleeps between attempts; resolves false when the consumer is stopping. */
  pause: (ms: number) => Promise<boolean>;
}

/**
 * Applies one Kafka message exactly once per consumer group: the dedupe record (the inbox's, or the
 * handler's own, ADR 0055), the handler's effects and its outbox rows commit in one transaction;
 * transient failures are retried with backoff; permanent ones and exhausted retries go to the
 * dead-letter topic.
 */
export class EventProcessor {
  private readonly logger = new Logger('event-consumer');

  constructor(private readonly deps: EventProcessorDeps) {}

  /**
   * Applies a run of messages of one partition in one transaction (one commit for many events
   * under load). If any of them fails, the transaction rolls back as a whole and the messages
   * are applied one by one instead, with retries and dead letters. Outcomes are in message order;
   * fewer outcomes than messages means shutdown interrupted the run after that many.
   */
  async processChunk(topic: string, partition: number, messages: KafkaMessage[]): Promise<ProcessOutcome[]> {
    if (messages.length > 1) {
      const entries = this.entriesOf({ topic, partition, messages });
      if (entries) {
        try {
          return await this.applyTogether(entries);
        } catch (error) {
          this.logger.debug?.(`chunk of ${messages.length} failed, applying one by one: ${describe(error)}`);
        }
      }
    }
    const outcomes: ProcessOutcome[] = [];
    for (const message of messages) {
      try {
        outcomes.push(await this.process(topic, partition, message));
      } catch (error) {
        if (error instanceof ProcessingInterrupted) break; // the rest is redelivered after restart
        throw error;
      }
    }
    return outcomes;
  }

  /**
   * Applies the runs of several partitions in one transaction: the outcomes of each run, in its
   * message order; or `undefined` when a message is malformed or the transaction failed (nothing
   * committed), and the caller applies each run on its own with processChunk.
   *
   * Each run keeps its order. Runs of one topic are kept together, topics in the order of their
   * oldest message, so that a handler of a topic's types gets one call for all of them and, across
   * topics, an order's earlier events tend to come first (handlers accept any order across topics,
   * as runs of different partitions commit in any order anyway).
   */
  async processTogether(runs: ConsumerRun[]): Promise<ProcessOutcome[][] | undefined> {
    const entriesByRun: RunEntry[][] = [];
    for (const run of runs) {
      const entries = this.entriesOf(run);
      if (!entries) return undefined;
      entriesByRun.push(entries);
    }
    const order = transactionOrder(runs);
    try {
      const outcomes = await this.applyTogether(order.flatMap((i) => entriesByRun[i]));
      const byRun: ProcessOutcome[][] = [];
      let at = 0;
      for (const i of order) {
        byRun[i] = outcomes.slice(at, at + entriesByRun[i].length);
        at += entriesByRun[i].length;
      }
      return byRun;
    } catch (error) {
      const events = entriesByRun.reduce((sum, entries) => sum + entries.length, 0);
      this.logger.debug?.(`${runs.length} runs (${events} events) failed together: ${describe(error)}`);
      return undefined;
    }
  }

  /** The run's envelopes with their delivery, or undefined if any is malformed or invalid. */
  private entriesOf(run: ConsumerRun): RunEntry[] | undefined {
    const entries: RunEntry[] = [];
    for (const message of run.messages) {
      try {
        const envelope = decodeEnvelope(message);
        if (!validateEvent(envelope.type, envelope.version, envelope.payload).ok) return undefined;
        const delivery = { topic: run.topic, partition: run.partition, offset: message.offset, attempt: 1 };
        entries.push({ envelope, delivery });
      } catch {
        return undefined; // the one-by-one path dead-letters it with the reason
      }
    }
    return entries;
  }

  /**
   * Applies the entries in one transaction, in their order; throws (all rolled back) on any failure.
   * The last handler's queued writes and what the batch handlers published are written last, sent
   * with the COMMIT.
   */
  private applyTogether(entries: RunEntry[]): Promise<ProcessOutcome[]> {
    const handlers = entries.map(({ envelope }) => this.deps.handlerFor(envelope.type));
    return this.deps.transaction(async (manager) => {
      const pending = new PendingWrites();
      const fresh = new Set(
        await this.recordInbox(
          manager,
          entries.filter((_, i) => dedupesByInbox(handlers[i])).map(({ envelope }) => envelope),
        ),
      );
      const outcomes: ProcessOutcome[] = [];
      for (let i = 0; i < entries.length;) {
        const handler = handlers[i];
        if (!handler) {
          outcomes.push('ignored');
          i++;
        } else if (handler.batch) {
          // The events of this handler up to the next one of another handler: one call. Events no
          // handler of this service wants (a shared topic's other types) do not split it.
          let end = i + 1;
          while (end < entries.length && (!handlers[end] || handlers[end]?.batch === handler.batch)) end++;
          while (!handlers[end - 1]) end--;
          const segment = entries.slice(i, end).map((entry, k) => ({ ...entry, ignored: !handlers[i + k] }));
          await pending.flush(manager);
          outcomes.push(...(await this.runBatch(handler, segment, fresh, manager, pending)));
          i = end;
        } else {
          const { envelope, delivery } = entries[i];
          await pending.flush(manager);
          // A span per event; if the chunk later rolls back, the one-by-one retry records again.
          const outcome = await withConsumerSpan(this.consumed(envelope, delivery), async () => {
            if (!fresh.delete(envelope.eventId)) return 'duplicate' as const;
            await handler.run(envelope, new EventContext(envelope, delivery, manager, this.deps.outbox));
            return 'processed' as const;
          });
          outcomes.push(outcome);
          i++;
        }
      }
      return { result: outcomes, lastWrites: pending.atCommit(this.deps.outbox) };
    });
  }

  /**
   * One call of a batch handler with the fresh events of `segment`, each in a CONSUMER span of its
   * own (its published events carry that span's context); what it published and queued goes to
   * `pending`. A handler that dedupes by its own records gets every event of the segment.
   */
  private async runBatch(
    handler: BatchHandler,
    segment: Array<{ envelope: EventEnvelope; delivery: DeliveryInfo; ignored: boolean }>,
    fresh: Set<string>,
    manager: EntityManager,
    pending: PendingWrites,
  ): Promise<ProcessOutcome[]> {
    const ownRecords = handler.batch.dedupe === 'own-records';
    // A run can hold one event twice (published again): by the inbox, only the first is fresh.
    const spans = new Map<EventEnvelope, ConsumerSpan>();
    const outcomes = segment.map(({ envelope, delivery, ignored }): ProcessOutcome => {
      if (ignored) return 'ignored';
      const span = startConsumerSpan(this.consumed(envelope, delivery));
      if (ownRecords || fresh.delete(envelope.eventId)) {
        spans.set(envelope, span);
        return 'processed';
      }
      span.succeed('duplicate');
      return 'duplicate';
    });
    if (spans.size === 0) return outcomes;
    const events = [...spans.keys()];
    const contextById = new Map(events.map((event) => [event.eventId, spans.get(event)!.context]));
    const ctx = new BatchEventContext(events, manager, (id) => contextById.get(id), !ownRecords);
    try {
      await handler.run(events, ctx);
      pending.add(ctx);
    } catch (error) {
      for (const span of spans.values()) span.fail(error);
      throw error;
    }
    for (const span of spans.values()) span.succeed('processed');
    return outcomes;
  }

  /**
   * Records (group, event id) for each envelope; returns the ids that were not there yet. Blocks
   * on the primary key while another member holds the same event uncommitted, so concurrent
   * redeliveries (rebalance) serialize and the later one sees a duplicate.
   *
   * First, in the same statement, it takes the transaction's advisory lock of every event key
   * (the order id) in sorted order: the lock OutboxWriter takes per key, and the one a handler's
   * row locks of that order would otherwise race for. Taken one event at a time, two runs of
   * different partitions holding orders a and b would deadlock (a then b, b then a) and stall
   * for Postgres' deadlock_timeout; taken up front in one order, one waits for the other.
   */
  private async recordInbox(manager: EntityManager, envelopes: EventEnvelope[]): Promise<string[]> {
    if (envelopes.length === 0) return [];
    const rows: Array<{ event_id: string }> = await manager.query(
      `with locked as (
         select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest($4::text[]) as key
       )
       insert into messaging_inbox (consumer_group, event_id, event_type)
       select $1, * from unnest($2::uuid[], $3::text[])
       where (select count(*) from locked) >= 0
       on conflict do nothing returning event_id`,
      [
        this.deps.group,
        envelopes.map((e) => e.eventId),
        envelopes.map((e) => e.type),
        [...new Set(envelopes.map((e) => e.key))].sort(),
      ],
    );
    return rows.map((row) => row.event_id);
  }

  /** Runs the event's handler; a batch handler gets a run of one, its writes and events to `pending`. */
  private async runHandler(
    handler: EventHandler,
    envelope: EventEnvelope,
    delivery: DeliveryInfo,
    manager: EntityManager,
    pending: PendingWrites,
  ): Promise<void> {
    if (!handler.batch) {
      await handler.run(envelope, new EventContext(envelope, delivery, manager, this.deps.outbox));
      return;
    }
    const active = context.active();
    const mayPublish = handler.batch.dedupe === 'inbox';
    const ctx = new BatchEventContext([envelope], manager, () => active, mayPublish);
    await handler.run([envelope], ctx);
    pending.add(ctx);
  }

  /** Applies one message, retrying transient failures; dead-letters what cannot succeed. */
  async process(topic: string, partition: number, message: KafkaMessage): Promise<ProcessOutcome> {
    const firstFailureAt = new Date();
    let envelope: EventEnvelope;
    try {
      envelope = decodeEnvelope(message);
      const validation = validateEvent(envelope.type, envelope.version, envelope.payload);
      if (!validation.ok) throw new InvalidEventError(validation.errors.join('; '));
    } catch (error) {
      return this.deadLetter({ topic, partition, message, error, attempts: 1, firstFailureAt });
    }
    if (!this.deps.handlerFor(envelope.type)) return 'ignored';

    // `counted`: failures of the event itself. An outage (database unreachable) is retried for as
    // long as it lasts and counts none: the event is not at fault, and a dead letter would take a
    // good event out of the saga. `outages` only grows the backoff.
    let counted = 0;
    let outages = 0;
    for (let attempt = 1; ; attempt++) {
      const delivery = { topic, partition, offset: message.offset, attempt };
      try {
        return await this.applyOnce(envelope, delivery);
      } catch (error) {
        const outage = !isPermanent(error) && isOutage(error);
        if (outage) outages++;
        else counted++;
        const final = isPermanent(error) || counted >= this.deps.retry.maxAttempts;
        this.logFailure(
          envelope,
          error,
          outage
            ? `outage, retry ${outages}`
            : `attempt ${counted}/${this.deps.retry.maxAttempts}${final ? ', giving up' : ''}`,
          outage ? outages : 0,
        );
        if (final) {
          const failure = { topic, partition, message, error, attempts: attempt, firstFailureAt };
          return withConsumerSpan(this.consumed(envelope, delivery), () => this.deadLetter(failure));
        }
        recordRetry(this.deps.group, envelope.type);
        const delay = backoffDelay(this.deps.retry, outage ? outages : counted);
        if (!(await this.deps.pause(delay))) {
          throw new ProcessingInterrupted(`stopped while retrying ${envelope.eventId}`);
        }
      }
    }
  }

  /** One line per failure; past the third retry of an outage only every tenth, so the log stays readable. */
  private logFailure(envelope: EventEnvelope, error: unknown, what: string, outageRetry: number): void {
    if (outageRetry > 3 && outageRetry % 10 !== 0) return;
    this.logger.warn(`${envelope.type} ${envelope.eventId} failed (${what}): ${describe(error)}`);
  }

  /** Only ever inside `process` (which decides retries): one attempt, one CONSUMER span. */
  private applyOnce(envelope: EventEnvelope, delivery: DeliveryInfo): Promise<'processed' | 'duplicate'> {
    return withConsumerSpan(this.consumed(envelope, delivery), () =>
      this.deps.transaction(async (manager) => {
        const handler = this.deps.handlerFor(envelope.type)!;
        const fresh = !dedupesByInbox(handler) || (await this.recordInbox(manager, [envelope])).length > 0;
        const pending = new PendingWrites();
        if (fresh) await this.runHandler(handler, envelope, delivery, manager, pending);
        const result = fresh ? ('processed' as const) : ('duplicate' as const);
        return { result, lastWrites: pending.atCommit(this.deps.outbox) };
      }),
    );
  }

  private consumed(envelope: EventEnvelope, delivery: DeliveryInfo): ConsumedMessage {
    return {
      ...delivery,
      group: this.deps.group,
      key: envelope.key,
      eventId: envelope.eventId,
      eventType: envelope.type,
      correlationId: envelope.correlationId,
      trace: envelope.trace,
    };
  }

  private async deadLetter(failure: {
    topic: string;
    partition: number;
    message: KafkaMessage;
    error: unknown;
    attempts: number;
    firstFailureAt: Date;
  }): Promise<'dead-lettered'> {
    const reason = isPermanent(failure.error) ? 'permanent' : 'exhausted';
    await this.deps.deadLetters.publish({ ...failure, reason, lastFailureAt: new Date() });
    recordDeadLetter(this.deps.group, failure.topic, reason);
    this.logger.error(
      `dead-lettered ${failure.topic}/${failure.partition}@${failure.message.offset} to ${this.deps.deadLetters.topic} (${reason}): ${describe(failure.error)}`,
    );
    return 'dead-lettered';
  }
}

/** Whether the consumer records the event in its inbox: it has a handler that does not dedupe by its own records. */
function dedupesByInbox(handler: EventHandler | undefined): boolean {
  return handler !== undefined && handler.batch?.dedupe !== 'own-records';
}

/** Indexes of the runs: grouped by topic, topics by their oldest first message (Kafka timestamp). */
export function transactionOrder(runs: ConsumerRun[]): number[] {
  const oldest = new Map<string, number>();
  for (const run of runs) {
    const first = Number(run.messages[0]?.timestamp ?? Infinity);
    oldest.set(run.topic, Math.min(oldest.get(run.topic) ?? Infinity, first));
  }
  return runs
    .map((run, index) => ({ index, topicRank: oldest.get(run.topic)!, topic: run.topic }))
    .sort((a, b) => a.topicRank - b.topicRank || a.topic.localeCompare(b.topic) || a.index - b.index)
    .map(({ index }) => index);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'object' ? JSON.stringify(error) : String(error);
}
