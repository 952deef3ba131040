import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  ensureTopics,
  MESSAGING_MIGRATIONS,
  MessagingOutboxDeleteOnPublish1764050000004,
  MessagingOutboxRowPerTransaction1764050000006,
  OutboxRelay,
  OutboxWriter,
} from '../src';
import { fixtureEvent } from './fixture/fixture-events';
import { header, MessagingTestBed } from './support/test-bed';

/**
 * A database that ran the messaging migrations before the relay deleted on publish (ADR 0047):
 * the last migration drops what was already published, keeps what was not, and the relay then
 * publishes that.
 */
describe('outbox migration to delete-on-publish (real Postgres and Kafka)', () => {
  const suite = migrationSuite();

  it('keeps the unpublished rows, drops the published ones, and the relay publishes what is left', async () => {
    const { bed } = suite;
    await suite.migrate(before(MessagingOutboxDeleteOnPublish1764050000004));
    const published = randomUUID();
    const waiting = randomUUID();
    for (const [eventId, publishedAt] of [
      [published, 'now()'],
      [waiting, 'null'],
    ])
      await bed.query(
        `insert into messaging_outbox (event_id, topic, message_key, event_type, headers, payload, published_at)
         values ($1, $2, $3, 'OrderCreated', $4, $5, ${publishedAt})`,
        [
          eventId,
          bed.ordersTopic,
          eventId,
          JSON.stringify({ 'event-id': eventId, 'event-type': 'OrderCreated' }),
          JSON.stringify(fixtureEvent(eventId, 1)),
        ],
      );

    await suite.migrate(MESSAGING_MIGRATIONS);
    const left = await bed.query<{ event_id: string }>('select event_id from messaging_outbox_events');
    expect(left).toEqual([{ event_id: waiting }]);
    const columns = await bed.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'messaging_outbox'`,
    );
    expect(columns.map((c) => c.column_name)).not.toContain('published_at');
    const indexes = await bed.query<{ indexname: string }>(
      `select indexname from pg_indexes where tablename = 'messaging_outbox'`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual(['messaging_outbox_pkey']);

    await suite.startRelay();
    const messages = await bed.readTopic(bed.ordersTopic, (all) =>
      all.some((m) => header(m, 'event-id') === waiting),
    );
    expect(messages.map((m) => header(m, 'event-id'))).toEqual([waiting]);
  });
});

/**
 * A database whose outbox held one row per event when the outbox moved to one row per transaction
 * (ADR 0057): waiting rows become one-event rows in their order, reverting splits each row into its
 * events in order, and the relay publishes them all in that order.
 */
describe('outbox migration to one row per transaction (real Postgres and Kafka)', () => {
  const suite = migrationSuite();

  it('keeps waiting events in order both ways, and the relay publishes them in that order', async () => {
    const { bed } = suite;
    await suite.migrate(before(MessagingOutboxRowPerTransaction1764050000006));
    const orderId = randomUUID();
    const waiting = [randomUUID(), randomUUID()];
    const payloads = [fixtureEvent(orderId, 1), fixtureEvent(orderId, 2)];
    for (const [i, eventId] of waiting.entries())
      await bed.query(
        `insert into messaging_outbox (event_id, topic, message_key, event_type, headers, payload)
         values ($1, $2, $3, 'OrderCreated', $4, $5)`,
        [
          eventId,
          bed.ordersTopic,
          orderId,
          JSON.stringify({ 'event-id': eventId, 'event-type': 'OrderCreated' }),
          JSON.stringify(payloads[i]),
        ],
      );
    const dataSource = await suite.migrate(MESSAGING_MIGRATIONS);
    expect(await bed.query('select event_count from messaging_outbox order by id')).toEqual([
      { event_count: 1 },
      { event_count: 1 },
    ]);
    const columns = await bed.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'messaging_outbox'
        order by ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'created_at', 'event_count', 'events']);
    const migrated = await bed.query<{ event_id: string; position: string; payload: unknown }>(
      'select event_id, position, message_key, event_type, payload from messaging_outbox_events order by id, position',
    );
    expect(migrated).toEqual(
      waiting.map((eventId, i) => ({
        event_id: eventId,
        position: '1',
        message_key: orderId,
        event_type: 'OrderCreated',
        payload: payloads[i],
      })),
    );

    const writer = new OutboxWriter({ producer: 'migration-test', topicPrefix: bed.topicPrefix });
    const together = await dataSource.transaction((manager) =>
      writer.record(
        manager,
        [3, 4, 5].map((seq) => ({ type: 'OrderCreated' as const, payload: fixtureEvent(orderId, seq) })),
      ),
    );
    const all = [...waiting, ...together];
    // undoLastMigration reverts the migration under test only while it is the last one.
    expect(MESSAGING_MIGRATIONS.at(-1)).toBe(MessagingOutboxRowPerTransaction1764050000006);
    await dataSource.undoLastMigration();
    const reverted = await bed.query<{ event_id: string }>(
      'select event_id from messaging_outbox order by id',
    );
    expect(reverted.map((row) => row.event_id)).toEqual(all);

    await dataSource.runMigrations();
    await suite.startRelay();
    const messages = await bed.readTopic(bed.ordersTopic, (read) =>
      all.every((eventId) => read.some((m) => header(m, 'event-id') === eventId)),
    );
    expect([...new Set(messages.map((m) => header(m, 'event-id')))]).toEqual(all);
  });
});

const before = (migration: (typeof MESSAGING_MIGRATIONS)[number]) =>
  MESSAGING_MIGRATIONS.slice(0, MESSAGING_MIGRATIONS.indexOf(migration));

/** A test bed of the suite's own, the data source that migrates it, and a relay, torn down after. */
function migrationSuite() {
  let dataSource: DataSource | undefined;
  let relay: OutboxRelay | undefined;
  const suite = {
    bed: undefined as unknown as MessagingTestBed,
    /** Runs `migrations` (those not yet run) through a new data source; returns it. */
    async migrate(migrations: typeof MESSAGING_MIGRATIONS): Promise<DataSource> {
      await dataSource?.destroy();
      dataSource = await new DataSource({
        type: 'postgres',
        url: suite.bed.databaseUrl,
        migrations,
      }).initialize();
      await dataSource.runMigrations();
      return dataSource;
    },
    async startRelay(): Promise<void> {
      relay = new OutboxRelay({
        connectionString: suite.bed.databaseUrl,
        kafka: suite.bed.kafka,
        pollIntervalMs: 50,
      });
      await relay.start();
    },
  };

  beforeAll(async () => {
    suite.bed = await new MessagingTestBed().setUp();
    await ensureTopics(suite.bed.kafka, [suite.bed.ordersTopic]);
  });

  afterAll(async () => {
    await relay?.stop();
    await dataSource?.destroy();
    await suite.bed?.tearDown();
  });

  return suite;
}
