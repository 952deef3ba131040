import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { statusChangedPayload, waitFor } from '@orderflow/testing';
import { fixtureEvent, testEventHeaders } from './fixture/fixture-events';
import { MessagingTestBed, withTestBed } from './support/test-bed';

describe('idempotent consumer (fixture service processes, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b));

  it('applies an event delivered three times, across a consumer-group rebalance, once', async () => {
    const a = await bed.start('a').ready();
    const orderId = randomUUID();
    const eventId = randomUUID();
    const message = (id: string, seq: number) => {
      const payload = fixtureEvent(orderId, seq);
      return {
        key: orderId,
        value: JSON.stringify(payload),
        headers: testEventHeaders(id, 'OrderCreated', payload),
      };
    };
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

  it('hands every delivery to a handler that dedupes by its own records, and keeps no inbox record for it', async () => {
    const service = await bed.start('own', { statusHandler: true }).ready();
    const orderId = randomUUID();
    const payload = statusChangedPayload(orderId, 'INVENTORY_RESERVED', 2);
    const statusChanged = {
      key: orderId,
      value: JSON.stringify(payload),
      headers: testEventHeaders(randomUUID(), 'OrderStatusChanged', payload),
    };
    const producer = bed.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic: bed.statusTopic,
        messages: [statusChanged, statusChanged, statusChanged],
      });
    } finally {
      await producer.disconnect();
    }
    await service.produce({ orderIds: [orderId], perOrder: 1 });
    await bed.waitForEffects(1);
    const outcomes = await waitFor('three status deliveries', async () => {
      const seen = await service.outcomes();
      return seen.statusDeliveries >= 3 && seen;
    });

    expect({
      statusDeliveries: outcomes.statusDeliveries,
      processed: outcomes.processed,
      duplicate: outcomes.duplicate,
    }).toEqual({ statusDeliveries: 3, processed: 4, duplicate: 0 });
    expect(await bed.query('select version from fixture_status where order_id = $1', [orderId])).toEqual([
      { version: 2 },
    ]);
    const [created] = await bed.query<{ event_id: string }>('select event_id from fixture_effect');
    const inbox = await bed.query<{ event_id: string }>('select event_id from messaging_inbox');
    expect(inbox.map((row) => row.event_id)).toEqual([created.event_id]);
  });
});
