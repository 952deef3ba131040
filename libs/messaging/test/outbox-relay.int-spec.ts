import { randomUUID } from 'node:crypto';
import { Kafka, KafkaJSProtocolError, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { waitFor } from '@orderflow/testing';
import { ensureTopics, MESSAGING_MIGRATIONS, OutboxRelay, OutboxWriter } from '../src';
import { fixtureEvent, fixtureSeq } from './fixture/fixture-events';
import { header, MessagingTestBed } from './support/test-bed';

describe('outbox relay (real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  let dataSource: DataSource;
  let writer: OutboxWriter;
  const relays: OutboxRelay[] = [];

  const startRelay = async () => {
    const relay = new OutboxRelay({
      connectionString: bed.databaseUrl,
      kafka: bed.kafka,
      pollIntervalMs: 5_000,
      standbyRetryMs: 100,
      batchSize: 100,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  };
  const record = (orderId: string, seq: number) =>
    dataSource.transaction((manager) =>
      writer.record(manager, { type: 'OrderCreated', payload: fixtureEvent(orderId, seq) }),
    );
  const eventIds = (messages: Awaited<ReturnType<MessagingTestBed['readTopic']>>) =>
    messages.map((m) => header(m, 'event-id'));
  /** The bed's Kafka, handing each producer it creates to `adapt` before the relay gets it. */
  const kafkaAdaptingProducers = (adapt: (producer: Producer) => void): Kafka => {
    const kafka = Object.create(bed.kafka) as Kafka;
    kafka.producer = (config) => {
      const producer = bed.kafka.producer(config);
      adapt(producer);
      return producer;
    };
    return kafka;
  };

  beforeAll(async () => {
    bed = await new MessagingTestBed().setUp();
    dataSource = await new DataSource({
      type: 'postgres',
      url: bed.databaseUrl,
      migrations: MESSAGING_MIGRATIONS,
      poolSize: 20,
    }).initialize();
    await dataSource.runMigrations();
    await ensureTopics(bed.kafka, [bed.ordersTopic]);
    writer = new OutboxWriter({ producer: 'relay-test', topicPrefix: bed.topicPrefix });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await bed?.tearDown();
  });

  it('never publishes the event of a rolled-back transaction', async () => {
    await startRelay();
    const orderId = randomUUID();
    let rolledBackId: string | undefined;
    await expect(
      dataSource.transaction(async (manager) => {
        [rolledBackId] = await writer.record(manager, {
          type: 'OrderCreated',
          payload: fixtureEvent(orderId, 1),
        });
        throw new Error('business rule failed after recording');
      }),
    ).rejects.toThrow('business rule failed');
    // A later event of the same order lands in the same partition, after anything published before it.
    const [markerId] = await record(orderId, 2);

    const messages = await bed.readTopic(bed.ordersTopic, (all) => eventIds(all).includes(markerId));
    const ofOrder = messages.filter((m) => m.key?.toString() === orderId);
    expect(eventIds(ofOrder)).toEqual([markerId]);
    expect(rolledBackId).toBeDefined();
    expect(
      (await bed.query('select * from messaging_outbox_events where event_id = $1', [rolledBackId])).length,
    ).toBe(0);
    expect(ofOrder[0].headers).toMatchObject({
      'event-type': expect.anything(),
      'correlation-id': expect.anything(),
    });
    expect(header(ofOrder[0], 'correlation-id')).toBe(orderId);
    expect(header(ofOrder[0], 'producer')).toBe('relay-test');
  });

  it('replaces a producer the broker keeps refusing, then publishes the batch', async () => {
    // After a broker restart kafkajs' idempotent producer can be refused for good ("out of order
    // sequence number"). Stand-in: the relay's first producer fails every send that way.
    let producers = 0;
    const refused = Object.assign(
      new KafkaJSProtocolError('The broker received an out of order sequence number'),
      { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45 },
    );
    const kafka = kafkaAdaptingProducers((producer) => {
      if (producers++ === 0) producer.sendBatch = () => Promise.reject(refused);
    });
    const relay = new OutboxRelay({ connectionString: bed.databaseUrl, kafka, standbyRetryMs: 100 });
    relays.push(relay);
    await relay.start();
    const [eventId] = await record(randomUUID(), 1);

    await bed.readTopic(bed.ordersTopic, (all) => eventIds(all).includes(eventId));
    expect(producers).toBeGreaterThanOrEqual(2);
    await waitFor('the published row to leave the outbox', async () => {
      const rows = await bed.query('select 1 from messaging_outbox_events where event_id = $1', [eventId]);
      return rows.length === 0;
    });
  });

  it('publishes a row whose identity value became visible after later rows (nothing skipped)', async () => {
    await startRelay();
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    const [lateId] = await writer.record(runner.manager, {
      type: 'OrderCreated',
      payload: fixtureEvent(randomUUID(), 1),
    });
    const [earlyId] = await record(randomUUID(), 1);
    const idOf = `select id from messaging_outbox_events where event_id = $1`;
    const [late] = await runner.query(idOf, [lateId]);
    const [early] = await bed.query<{ id: string }>(idOf, [earlyId]);
    expect(BigInt(late.id)).toBeLessThan(BigInt(early.id));

    await bed.readTopic(bed.ordersTopic, (all) => eventIds(all).includes(earlyId));
    await runner.commitTransaction();
    await runner.release();
    const messages = await bed.readTopic(bed.ordersTopic, (all) => eventIds(all).includes(lateId));
    expect(
      eventIds(messages)
        .filter((id) => id === lateId || id === earlyId)
        .sort(),
    ).toEqual([earlyId, lateId].sort());
  });

  it("allocates one order's outbox ids in commit order: a second writer waits for the first to commit", async () => {
    const orderId = randomUUID();
    const first = dataSource.createQueryRunner();
    await first.startTransaction();
    const [firstId] = await writer.record(first.manager, {
      type: 'OrderCreated',
      payload: fixtureEvent(orderId, 1),
    });
    const second = record(orderId, 2);
    await waitFor('the second writer to wait on the order lock', async () => {
      const waiting = await bed.query(
        `select 1 from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
      );
      return waiting.length > 0;
    });
    await first.commitTransaction();
    await first.release();
    const [secondId] = await second;
    const rows = await bed.query<{ event_id: string }>(
      'select event_id from messaging_outbox_events where event_id = any($1) order by id, position',
      [[firstId, secondId]],
    );
    expect(rows.map((r) => r.event_id)).toEqual([firstId, secondId]);
  });

  it("keeps a transaction's events in one row and publishes them in order, reading whole rows, sending at most a batch", async () => {
    const earlier = await startRelay();
    await waitFor('rows left by earlier tests to be published', async () => {
      const rows = await bed.query('select 1 from messaging_outbox');
      return rows.length === 0;
    });
    await earlier.stop();
    const orderIds = [randomUUID(), randomUUID(), randomUUID()];
    const eventsPerTransaction = [1, 7, 3, 12, 2];
    let seq = 0;
    const recordedIds: string[] = [];
    for (const count of eventsPerTransaction) {
      const ids = await dataSource.transaction((manager) =>
        writer.record(
          manager,
          Array.from({ length: count }, (_, i) => {
            if (i % orderIds.length === 0) seq++;
            return {
              type: 'OrderCreated' as const,
              payload: fixtureEvent(orderIds[i % orderIds.length], seq),
            };
          }),
        ),
      );
      recordedIds.push(...ids);
    }
    const outboxRows = await bed.query<{ events: number }>(
      `select count(*)::int as events from messaging_outbox_events where event_id = any($1)
        group by id order by id`,
      [recordedIds],
    );
    expect(outboxRows.map((row) => row.events)).toEqual(eventsPerTransaction);

    const sends: number[] = [];
    const kafka = kafkaAdaptingProducers((producer) => {
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = (batch) => {
        sends.push(batch.topicMessages!.reduce((sum, topic) => sum + topic.messages.length, 0));
        return sendBatch(batch);
      };
    });
    const relay = new OutboxRelay({ connectionString: bed.databaseUrl, kafka, batchSize: 5 });
    relays.push(relay);
    await relay.start();
    const recorded = await bed.query<{ event_id: string; message_key: string }>(
      `select event_id, message_key from messaging_outbox_events where event_id = any($1)
        order by id, position`,
      [recordedIds],
    );
    const published = await bed.readTopic(bed.ordersTopic, (all) =>
      recorded.every((row) => eventIds(all).includes(row.event_id)),
    );
    for (const orderId of orderIds) {
      const ofOrder = recorded.filter((row) => row.message_key === orderId).map((row) => row.event_id);
      const firstDeliveries = [...new Set(eventIds(published))].filter((id) => ofOrder.includes(id!));
      expect(firstDeliveries).toEqual(ofOrder);
    }
    await waitFor('the published rows to leave the outbox', async () => {
      const rows = await bed.query('select 1 from messaging_outbox');
      return rows.length === 0;
    });
    // Reads of whole rows ([1, 7], [3, 12], [2]), each sent in sends of at most five events.
    expect(sends).toEqual([5, 3, 5, 5, 5, 2]);
  });

  it('runs one active relay per database; a standby takes over and per-order order holds', async () => {
    const [a, b] = [await startRelay(), await startRelay()];
    await waitFor('one active relay', () => a.isActive !== b.isActive);
    const orderIds = Array.from({ length: 10 }, () => randomUUID());
    const write = async (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) await Promise.all(orderIds.map((id) => record(id, seq)));
    };
    await write(1, 20);
    const active = a.isActive ? a : b;
    const standby = active === a ? b : a;
    const writing = write(21, 40);
    await active.stop();
    await waitFor('the standby to take over', () => standby.isActive);
    await writing;

    const all = await bed.readTopic(bed.ordersTopic, (messages) =>
      orderIds.every((id) => messages.filter((m) => m.key?.toString() === id).length >= 40),
    );
    for (const orderId of orderIds) {
      const seen = new Set<string>();
      const firstDeliveries = all.filter(
        (m) =>
          m.key?.toString() === orderId &&
          !seen.has(header(m, 'event-id')!) &&
          seen.add(header(m, 'event-id')!),
      );
      const seqs = firstDeliveries.map((m) => fixtureSeq(JSON.parse(m.value!.toString())));
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
    const [unpublished] = await bed.query<{ count: string }>('select count(*) from messaging_outbox');
    expect(Number(unpublished.count)).toBe(0);
  });

  it('deletes each row once published, and dedupe records once past their retention', async () => {
    await bed.query(
      `insert into messaging_inbox (consumer_group, event_id, event_type, processed_at)
       values ('g', $1, 'OrderCreated', now() - interval '2 hours'), ('g', $2, 'OrderCreated', now())`,
      [randomUUID(), randomUUID()],
    );
    const relay = new OutboxRelay({
      connectionString: bed.databaseUrl,
      kafka: bed.kafka,
      inboxRetentionMs: 3_600_000,
      cleanupIntervalMs: 0,
      pollIntervalMs: 50,
    });
    relays.push(relay);
    await relay.start();
    const [eventId] = await record(randomUUID(), 1);
    await waitFor('the published row to be deleted', async () => {
      const rows = await bed.query('select 1 from messaging_outbox');
      return rows.length === 0;
    });
    await bed.readTopic(bed.ordersTopic, (all) => eventIds(all).includes(eventId));
    const inbox = await bed.query<{ fresh: boolean }>(
      `select processed_at > now() - interval '1 hour' as fresh from messaging_inbox`,
    );
    expect(inbox).toEqual([{ fresh: true }]);
  });
});
