import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  ensureTopics,
  MESSAGING_MIGRATIONS,
  MessagingOutboxDeleteOnPublish1764050000004,
  OutboxRelay,
} from '../src';
import { fixtureEvent } from './fixture/fixture-events';
import { header, MessagingTestBed } from './support/test-bed';

/**
 * A database that ran the messaging migrations before the relay deleted on publish (ADR 0047):
 * the last migration drops what was already published, keeps what was not, and the relay then
 * publishes that.
 */
describe('outbox migration to delete-on-publish (real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  let dataSource: DataSource;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    bed = await new MessagingTestBed().setUp();
    await ensureTopics(bed.kafka, [bed.ordersTopic]);
  });

  afterAll(async () => {
    await relay?.stop();
    await dataSource?.destroy();
    await bed?.tearDown();
  });

  it('keeps the unpublished rows, drops the published ones, and the relay publishes what is left', async () => {
    const before = MESSAGING_MIGRATIONS.slice(
      0,
      MESSAGING_MIGRATIONS.indexOf(MessagingOutboxDeleteOnPublish1764050000004),
    );
    await migrate(before);
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

    await dataSource.destroy();
    await migrate(MESSAGING_MIGRATIONS);
    const left = await bed.query<{ event_id: string }>('select event_id from messaging_outbox');
    expect(left).toEqual([{ event_id: waiting }]);
    const columns = await bed.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'messaging_outbox'`,
    );
    expect(columns.map((c) => c.column_name)).not.toContain('published_at');
    const indexes = await bed.query<{ indexname: string }>(
      `select indexname from pg_indexes where tablename = 'messaging_outbox'`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual(['messaging_outbox_pkey']);

    relay = new OutboxRelay({ connectionString: bed.databaseUrl, kafka: bed.kafka, pollIntervalMs: 50 });
    await relay.start();
    const messages = await bed.readTopic(bed.ordersTopic, (all) =>
      all.some((m) => header(m, 'event-id') === waiting),
    );
    expect(messages.map((m) => header(m, 'event-id'))).toEqual([waiting]);
  });

  async function migrate(migrations: typeof MESSAGING_MIGRATIONS) {
    dataSource = await new DataSource({ type: 'postgres', url: bed.databaseUrl, migrations }).initialize();
    await dataSource.runMigrations();
  }
});
