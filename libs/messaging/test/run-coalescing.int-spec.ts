import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { envelopeHeaders } from '../src';
import { fixtureEvent } from './fixture/fixture-events';
import { MessagingTestBed, withTestBed } from './support/test-bed';

const PARTITIONS = 6;

/**
 * Events waiting on every partition when a member joins: its first fetch brings a run per
 * partition, and the member applies them in one transaction (RunCoalescer) rather than one each.
 * Postgres' xmin of the inbox rows tells which transaction recorded each event.
 */
describe('runs of several partitions in one transaction (fixture service, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b));

  it('applies the runs of one fetch together, in order per order, and commits their offsets while idle', async () => {
    // The first member creates the topics and joins the group; it leaves before the events arrive.
    await (await bed.start('creates-topics', { relay: false }).ready()).stop();

    const orders = Array.from({ length: 4 * PARTITIONS }, (_, i) => ({
      id: randomUUID(),
      partition: i % PARTITIONS,
    }));
    const partitionOf = new Map<string, number>();
    const messages = orders.flatMap(({ id, partition }) =>
      [1, 2, 3].map((seq) => {
        const eventId = randomUUID();
        partitionOf.set(eventId, partition);
        return {
          partition,
          key: id,
          value: JSON.stringify(fixtureEvent(id, seq)),
          headers: envelopeHeaders({
            eventId,
            type: 'OrderCreated',
            version: 1,
            occurredAt: new Date().toISOString(),
            producer: 'test',
            correlationId: id,
            causationId: null,
            trace: {},
          }),
        };
      }),
    );
    const producer = bed.kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: bed.ordersTopic, messages });
    } finally {
      await producer.disconnect();
    }

    await bed.start('consumer', { relay: false }).ready();
    const effects = await bed.waitForEffects(messages.length);

    expect(effects).toEqual({ total: messages.length, distinctEvents: messages.length, violations: 0 });
    const transactions = await bed.query<{ event_ids: string[] }>(
      'select array_agg(event_id::text) as event_ids from messaging_inbox group by xmin::text',
    );
    const partitionsPerTransaction = transactions.map(
      ({ event_ids }) => new Set(event_ids.map((id) => partitionOf.get(id))).size,
    );
    // One transaction per partition's run would give PARTITIONS transactions of one partition each.
    expect(transactions.length).toBeLessThan(PARTITIONS);
    expect(Math.max(...partitionsPerTransaction)).toBeGreaterThan(1);

    // No batch follows the last one: the interval commit, not a next batch, has to record its offsets.
    await waitFor(
      "the group's committed offsets at the end of every partition",
      async () => {
        const [committed, ends] = await Promise.all([
          bed.committedOffsets(),
          bed.endOffsets(bed.ordersTopic),
        ]);
        return ends.every(({ partition, offset }) => committed.get(partition) === offset);
      },
      { timeoutMs: 10_000 },
    );
  });
});
