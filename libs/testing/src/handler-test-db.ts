import { randomUUID } from 'node:crypto';
import { DataSource, DataSourceOptions, MigrationInterface } from 'typeorm';
import type { EventPayloads, EventType } from '@orderflow/contracts';
import {
  BatchEventContext,
  EventContext,
  EventEnvelope,
  IncomingEvent,
  MESSAGING_MIGRATIONS,
  OutboxWriter,
} from '@orderflow/messaging';
import { configurePool, dataSourceOptions, transactionWithLastWrites } from '@orderflow/service-defaults';
import { createTestDatabase } from './infra';

export interface HandlerTestDbOptions {
  /** Service name, e.g. `inventory-service`: the outbox's producer and the database name's prefix. */
  service: string;
  entities: DataSourceOptions['entities'];
  /** The service's own migrations; the messaging tables are added in front. */
  migrations: Array<new () => MigrationInterface>;
}

/**
 * A migrated database of its own for one test file, and a way to run a service's handlers in one
 * transaction with an EventContext, as the messaging lib's consumer does.
 */
export async function handlerTestDb(options: HandlerTestDbOptions) {
  const db = await createTestDatabase(options.service.replace(/-service$/, ''));
  const dataSource = await new DataSource(
    dataSourceOptions(
      { DATABASE_URL: db.url },
      { name: `${options.service}-int` },
      {
        entities: options.entities,
        migrations: [...MESSAGING_MIGRATIONS, ...options.migrations],
        poolSize: 20,
      },
    ),
  ).initialize();
  configurePool(dataSource);
  await dataSource.runMigrations({ transaction: 'each' });
  const outbox = new OutboxWriter({ producer: options.service });

  async function deliver<K extends EventType, R>(
    type: K,
    payload: EventPayloads[K],
    handle: (event: IncomingEvent<K>, ctx: EventContext) => Promise<R>,
  ): Promise<R> {
    const event = testEnvelope(type, payload);
    return dataSource.transaction((manager) =>
      handle(
        event,
        new EventContext(event, { topic: 't', partition: 0, offset: '0', attempt: 1 }, manager, outbox),
      ),
    );
  }

  /**
   * Runs a batch handler (EventBatchPattern) on `events` in one transaction, then sends its queued
   * writes and what it published with the COMMIT, as the consumer does with a run of fresh events.
   */
  async function deliverBatch<R>(
    events: EventEnvelope[],
    handle: (events: EventEnvelope[], ctx: BatchEventContext) => Promise<R>,
  ): Promise<R> {
    return transactionWithLastWrites(dataSource, async (manager) => {
      const ctx = new BatchEventContext(events, manager, () => undefined);
      const result = await handle(events, ctx);
      const insert = outbox.statement(ctx.takePublished());
      return { result, lastWrites: [...ctx.takeWrites(), ...(insert ? [insert] : [])] };
    });
  }

  /**
   * Runs a batch handler on `events` in one transaction; returns what it returned and how many SQL
   * statements it sent, its queued writes included (the outbox write after it is the lib's, not
   * counted), and how many of those were queued for the COMMIT.
   */
  async function countStatements<E, R>(
    events: E[],
    handle: (events: E[], ctx: BatchEventContext) => Promise<R>,
  ): Promise<{ statements: number; atCommit: number; outcomes: R }> {
    return dataSource.transaction(async (manager) => {
      const ctx = new BatchEventContext([], manager, () => undefined);
      const query = manager.query.bind(manager);
      let statements = 0;
      manager.query = (sql: string, params?: unknown[]) => (statements++, query(sql, params));
      let outcomes: R;
      try {
        outcomes = await handle(events, ctx);
      } finally {
        manager.query = query;
      }
      const queued = ctx.takeWrites();
      for (const write of queued) await manager.query(write.sql, write.params);
      return { outcomes, statements: statements + queued.length, atCommit: queued.length };
    });
  }

  async function outboxEvents(type: EventType): Promise<Array<Record<string, unknown>>> {
    const rows: Array<{ payload: Record<string, unknown> }> = await dataSource.query(
      'select payload from messaging_outbox_events where event_type = $1 order by id, position',
      [type],
    );
    return rows.map((row) => row.payload);
  }

  async function close() {
    await dataSource.destroy();
    await db.drop();
  }

  return { dataSource, deliver, deliverBatch, countStatements, outboxEvents, close };
}

/** An incoming event of `type` as the consumer would hand it to a handler. */
export function testEnvelope<K extends EventType>(type: K, payload: EventPayloads[K]): IncomingEvent<K> {
  const orderId = (payload as { orderId: string }).orderId;
  return {
    eventId: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    producer: 'test',
    correlationId: orderId,
    causationId: null,
    key: orderId,
    trace: {},
    payload,
  };
}
