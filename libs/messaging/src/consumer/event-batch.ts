import { BaseRpcContext, EventPattern } from '@nestjs/microservices';
import type { Context } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import type { EventPayloads, EventType } from '@orderflow/contracts';
import { injectTraceContext, LastWrite } from '@orderflow/service-defaults';
import type { EventEnvelope, TraceCarrier } from '../envelope/event-envelope';
import type { OutgoingEvent } from '../outbox/outbox-writer';

/** Key of the handler extras that mark a batch handler (see EventBatchPattern). */
export const BATCH_HANDLER_EXTRA = 'orderflow.batchHandler';

/** Identifies one batch handler across the event types it is registered for. */
export interface BatchHandlerGroup {
  readonly types: readonly EventType[];
  /** How its redeliveries are recognised (see `EventBatchOptions.dedupe`). */
  readonly dedupe: 'inbox' | 'own-records';
}

export interface EventBatchOptions {
  /**
   * `inbox` (default): the consumer records each event's id in its inbox, in the run's transaction,
   * and events already recorded never reach the handler.
   *
   * `own-records`: the handler's own writes are its dedupe record, and the consumer records
   * nothing: every delivery reaches it, redelivered or not (ADR 0055). Only for a handler that
   * publishes nothing (`ctx.publish` throws) and whose every write is keyed by what the event
   * decides, so that applying it again changes nothing: a row per (order, kind) inserted with
   * ON CONFLICT DO NOTHING, or a version-guarded upsert. It writes its rows in key order: no inbox
   * statement locks the run's keys first. It can then also repeat an after-commit side effect that
   * a crash may have lost (the gateway's push, ADR 0044).
   */
  dedupe?: 'inbox' | 'own-records';
}

/**
 * Subscribes a handler that applies a run of events at once: it receives the fresh events of a
 * consumer run (in partition order; duplicates already removed, unless it dedupes by its own
 * records) as `IncomingEvent[]` and a BatchEventContext, and must leave the same effects as
 * applying them one after another. Consecutive events of its types in a run go to one call; after
 * a failure the consumer calls it again with one event at a time, so a bad event is retried or
 * dead-lettered alone.
 *
 * Why: a handler that reads and locks the rows of the whole run in one statement and writes them in
 * one more costs a few round trips per run instead of a few per event, and holds its row locks for
 * those few round trips only (docs/adr/0043-*).
 */
export function EventBatchPattern(types: EventType[], options: EventBatchOptions = {}): MethodDecorator {
  const group: BatchHandlerGroup = { types, dedupe: options.dedupe ?? 'inbox' };
  return EventPattern(types, { [BATCH_HANDLER_EXTRA]: group });
}

/**
 * What a batch handler gets with `@Ctx()`: the run's transaction, and `publish` to record follow-up
 * events of one of the run's events (its causation, correlation and trace); once the handler has
 * returned, the consumer writes them to the outbox in one statement, in publish order, in the
 * same transaction (pipelined with its COMMIT).
 */
export class BatchEventContext extends BaseRpcContext<[EventEnvelope[]]> {
  private readonly pending: OutgoingEvent[] = [];
  private readonly writes: LastWrite[] = [];

  constructor(
    readonly events: EventEnvelope[],
    /** Entity manager bound to the run's transaction. Use it for every read and write. */
    readonly manager: EntityManager,
    /** The trace context of each event's CONSUMER span, by event id. */
    private readonly traceOf: (eventId: string) => Context | undefined,
    /** False for a handler that dedupes by its own records: a redelivery would publish again. */
    private readonly mayPublish = true,
  ) {
    super([events]);
  }

  publish<K extends EventType>(
    cause: EventEnvelope,
    type: K,
    payload: EventPayloads[K],
    /**
     * `causationId`: when the event was caused by another one than `cause` (e.g. one applied late);
     * `trace`: that event's trace context (see `traceCarrier`), so the follow-up continues its trace.
     */
    options: { key?: string; causationId?: string; trace?: TraceCarrier } = {},
  ): void {
    if (!this.mayPublish)
      throw new Error(
        `a handler that dedupes by its own records publishes nothing (${type} for ${cause.type} ${cause.eventId}): a redelivery would publish it again`,
      );
    this.pending.push({
      type,
      payload,
      key: options.key,
      correlationId: cause.correlationId,
      causationId: options.causationId ?? cause.eventId,
      trace: options.trace ?? this.carrierOf(cause),
    } as OutgoingEvent);
  }

  /** The trace context of an event's CONSUMER span, to keep with state that outlives the run. */
  traceCarrier(event: EventEnvelope): TraceCarrier {
    return this.carrierOf(event) ?? {};
  }

  private carrierOf(event: EventEnvelope): TraceCarrier | undefined {
    const span = this.traceOf(event.eventId);
    return span ? injectTraceContext({}, span) : undefined;
  }

  /** What was published, in publish order, for the consumer to write once the handler returned. */
  takePublished(): OutgoingEvent[] {
    return this.pending.splice(0);
  }

  /**
   * Queues the handler's last write, for a statement whose answer it does not need: the consumer
   * sends it once the handler has returned, with the outbox write and COMMIT in one round trip
   * (ADR 0053). If it fails, nothing commits and the run is retried, as if it had been awaited. The
   * next handler of the same transaction sees its effects (the consumer sends it first); this one
   * does not, so it must be the handler's last statement.
   */
  writeAtCommit(write: LastWrite): void {
    this.writes.push(write);
  }

  /** The queued writes, in queue order, for the consumer to send once the handler returned. */
  takeWrites(): LastWrite[] {
    return this.writes.splice(0);
  }
}

/**
 * The first item of each key, in order. A batch handler's later event of the same order (or
 * notification) would find it already decided by the first, applied one at a time.
 */
export function firstPerKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A copy of `items` in the order of their keys. A handler without an inbox (`dedupe: 'own-records'`)
 * writes its rows in this order: no inbox statement locks the run's keys first, and two runs holding
 * the same keys then wait for each other instead of deadlocking.
 */
export function inKeyOrder<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  return [...items].sort((a, b) => {
    const [x, y] = [keyOf(a), keyOf(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
