import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { waitFor } from '@orderflow/testing';
import { envelopeHeaders } from '../src';
import { fixtureEvent } from './fixture/fixture-events';
import { MessagingTestBed, withTestBed } from './support/test-bed';

describe('idempotent consumer (fixture service processes, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b));

  it('applies an event delivered three times, across a consumer-group rebalance, once', async () => {
    const a = await bed.start('a').ready();
    const orderId = randomUUID();
    const eventId = randomUUID();
    const message = (id: string, seq: number) => ({
      key: orderId,
      value: JSON.stringify(fixtureEvent(orderId, seq)),
      headers: envelopeHeaders({
        eventId: id,
        type: 'OrderCreated',
        version: 1,
        occurredAt: new Date().toISOString(),
        producer: 'test',
        correlationId: orderId,
        causationId: null,
        trace: {},
      }),
    });
    const producer = bed.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({ topic: bed.ordersTopic, messages: [message(eventId, 1)] });
      await bed.waitForEffects(1);

      // A second member joins: the group rebalances and the partition may move to it.
      const b = await bed.start('b').ready();
      const admin = bed.kafka.admin();
      await admin.connect();
      await waitFor('both members in a stable group', async () => {
        const { groups } = await admin.describeGroups([bed.group]);
        return groups[0].state === 'Stable' && groups[0].members.length === 2;
      });
      await admin.disconnect();

      const markerId = randomUUID();
      await producer.send({
        topic: bed.ordersTopic,
        messages: [message(eventId, 1), message(eventId, 1), message(markerId, 2)],
      });
      // The marker follows the redeliveries in the same partition: once it is applied, they were handled.
      await waitFor(
        'the marker',
        async () =>
          (await bed.query('select 1 from fixture_effect where event_id = $1', [markerId])).length === 1,
      );

      const applied = await bed.query<{ event_id: string }>(
        'select event_id from fixture_effect order by applied_at',
      );
      expect(applied.map((row) => row.event_id)).toEqual([eventId, markerId]);
      const [outcomesA, outcomesB] = await Promise.all([a.outcomes(), b.outcomes()]);
      expect({
        processed: outcomesA.processed + outcomesB.processed,
        duplicate: outcomesA.duplicate + outcomesB.duplicate,
      }).toEqual({
        processed: 2,
        duplicate: 2,
      });
      expect((await bed.effects()).violations).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });

  it('keeps its group session through a handler that runs longer than the session timeout', async () => {
    const service = await bed.start('long').ready();
    const orderId = randomUUID();
    await service.produce({ orderIds: [orderId], perOrder: 1, behaviour: 'long' });
    await service.produce({ orderIds: [orderId], perOrder: 1, fromSeq: 2 });
    await waitFor(
      'both events applied',
      async () =>
        (await bed.query('select 1 from fixture_effect where order_id = $1', [orderId])).length === 2,
      { timeoutMs: 40_000 },
    );
    // Had the session expired mid-handler, the group would have rebalanced and redelivered it.
    const outcomes = await service.outcomes();
    expect({ processed: outcomes.processed, duplicate: outcomes.duplicate }).toEqual({
      processed: 2,
      duplicate: 0,
    });
  }, 60_000);
});
