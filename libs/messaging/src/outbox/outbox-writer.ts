import { randomUUIDv7 } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EVENT_CATALOG, EventPayloads, EventType, validateEvent } from '@orderflow/contracts';
import { injectTraceContext } from '@orderflow/service-defaults';
import { envelopeHeaders, TraceCarrier } from '../envelope/event-envelope';

export interface OutgoingEvent<K extends EventType = EventType> {
  type: K;
  payload: EventPayloads[K];
  /** The order id; defaults to `payload.orderId`. */
  correlationId?: string;
  /** Id of the event being handled; set by EventContext.publish. */
  causationId?: string | null;
  /** Kafka key; defaults to the correlation id (the order is the aggregate). */
  key?: string;
  /** Trace context headers to store with the row; defaults to the active context's. */
  trace?: TraceCarrier;
}

/** A piece of SQL and the parameters it uses, numbered as the statement it goes in needs. */
export interface SqlPart {
  sql: string;
  params: unknown[];
}

/** CTEs (`name as (…)`, comma-separated) run as a statement of their own. */
export function statementOfCtes(ctes: SqlPart): SqlPart {
  return { sql: `with ${ctes.sql} select 1`, params: ctes.params };
}

export interface OutboxWriterOptions {
  producer: string;
  /** Prepended to every topic name; lets tests and benchmarks run in their own topics. */
  topicPrefix?: string;
}

/**
 * Records events in the outbox inside the caller's transaction. This is the only way events
 * leave a service: the relay publishes what committed, and a rolled-back transaction takes its
 * events with it.
 */
export class OutboxWriter {
  constructor(private readonly options: OutboxWriterOptions) {}

  topicOf(type: EventType): string {
    return `${this.options.topicPrefix ?? ''}${EVENT_CATALOG[type].topic}`;
  }

  /** Returns the event ids, in order. */
  async record(manager: EntityManager, events: OutgoingEvent | OutgoingEvent[]): Promise<string[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('OutboxWriter.record needs the entity manager of an open transaction');
    }
    const insert = this.statement(Array.isArray(events) ? events : [events]);
    if (!insert) return [];
    await manager.query(insert.sql, insert.params);
    return insert.eventIds;
  }

  /**
   * The outbox insert of `events` as a statement of its own, for the caller to run in the
   * transaction of the state change it records (e.g. pipelined with its COMMIT); undefined when
   * there is nothing to insert.
   */
  statement(events: OutgoingEvent[]): (SqlPart & { eventIds: string[] }) | undefined {
    if (events.length === 0) return undefined;
    const insert = this.insertCte(events, 1);
    return { ...statementOfCtes(insert), eventIds: insert.eventIds };
  }

  /**
   * The outbox insert of `events` as CTEs (`outbox_locked`, `outbox_rows`) for a statement of the
   * caller's, its parameters numbered from `firstParam`. The statement must be the caller's only one
   * (autocommit: it is its own transaction) or run in the transaction of the state change it
   * records. One round trip, one row for all the events (ADR 0057). The lock serializes writers per
   * aggregate until commit, so identity values of one aggregate's rows are allocated in commit order
   * and the relay's `order by id` is the per-key order. Keys are locked in sorted order so that two
   * writers cannot deadlock. With `when` (a SQL condition of the statement's), the row is inserted
   * only if it holds.
   */
  insertCte(events: OutgoingEvent[], firstParam: number, when?: string): SqlPart & { eventIds: string[] } {
    const rows = events.map((event) => this.toRow(event));
    const [keys, count, array] = [0, 1, 2].map((i) => `$${firstParam + i}`);
    return {
      sql: `outbox_locked as (
         select pg_advisory_xact_lock(hashtextextended(key, 0)) from unnest(${keys}::text[]) as key
       ), outbox_rows as (
         insert into messaging_outbox (event_count, events)
         select ${count}::int, ${array}::json
          where (select count(*) from outbox_locked) >= 0${when ? ` and ${when}` : ''}
       )`,
      params: [[...new Set(rows.map((row) => row.key))].sort(), rows.length, JSON.stringify(rows)],
      eventIds: rows.map((row) => row.eventId),
    };
  }

  private toRow(event: OutgoingEvent) {
    const definition = EVENT_CATALOG[event.type];
    const validation = validateEvent(event.type, definition.version, event.payload);
    if (!validation.ok)
      throw new Error(`refusing to record an invalid ${event.type}: ${validation.errors.join('; ')}`);
    const correlationId = event.correlationId ?? (event.payload as { orderId?: string }).orderId;
    if (!correlationId) throw new Error(`${event.type} needs a correlation id (the order id)`);
    const trace = event.trace ?? injectTraceContext();
    // Time-ordered, so every consumer's inbox key lands at the right edge of its index (ADR 54).
    const eventId = randomUUIDv7();
    const headers = envelopeHeaders({
      eventId,
      type: event.type,
      version: definition.version,
      occurredAt: new Date().toISOString(),
      producer: this.options.producer,
      correlationId,
      causationId: event.causationId ?? null,
      trace,
    });
    // The element of the outbox row's array; the relay reads these names (ADR 0057).
    return {
      eventId,
      topic: this.topicOf(event.type),
      key: event.key ?? correlationId,
      type: event.type,
      headers,
      payload: event.payload,
    };
  }
}
