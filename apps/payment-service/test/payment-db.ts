import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EventPayloads, EventType } from '@orderflow/contracts';
import { EventContext, IncomingEvent, MESSAGING_MIGRATIONS, OutboxWriter } from '@orderflow/messaging';
import { dataSourceOptions } from '@orderflow/service-defaults';
import { createTestDatabase } from '@orderflow/testing';
import { PAYMENT_ENTITIES } from '../src/entities';
import { PAYMENT_MIGRATIONS } from '../src/migrations';

/** A migrated database of its own for one test file, and a way to run handlers as the consumer does. */
export async function paymentTestDb() {
  const db = await createTestDatabase('payment');
  const dataSource = await new DataSource(
    dataSourceOptions(
      { DATABASE_URL: db.url },
      { name: 'payment-int' },
      {
        entities: PAYMENT_ENTITIES,
        migrations: [...MESSAGING_MIGRATIONS, ...PAYMENT_MIGRATIONS],
        poolSize: 20,
      },
    ),
  ).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const outbox = new OutboxWriter({ producer: 'payment-service' });

  /** Runs `handle` in one transaction with an EventContext, as the messaging lib's consumer does. */
  async function deliver<K extends EventType, R>(
    type: K,
    payload: EventPayloads[K],
    handle: (event: IncomingEvent<K>, ctx: EventContext) => Promise<R>,
  ): Promise<R> {
    const event = envelope(type, payload);
    return dataSource.transaction((manager) =>
      handle(
        event,
        new EventContext(event, { topic: 't', partition: 0, offset: '0', attempt: 1 }, manager, outbox),
      ),
    );
  }

  async function outboxEvents(type: EventType): Promise<Array<Record<string, unknown>>> {
    const rows: Array<{ payload: Record<string, unknown> }> = await dataSource.query(
      'select payload from messaging_outbox where event_type = $1 order by id',
      [type],
    );
    return rows.map((row) => row.payload);
  }

  async function close() {
    await dataSource.destroy();
    await db.drop();
  }

  return { dataSource, deliver, outboxEvents, close };
}

export function envelope<K extends EventType>(type: K, payload: EventPayloads[K]): IncomingEvent<K> {
  return {
    eventId: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    producer: 'test',
    correlationId: (payload as { orderId: string }).orderId,
    causationId: null,
    key: (payload as { orderId: string }).orderId,
    trace: {},
    payload,
  };
}
