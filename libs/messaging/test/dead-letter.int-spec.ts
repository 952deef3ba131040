import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Partitioners } from 'kafkajs';
import { waitFor } from '@orderflow/testing';
import { header, MessagingTestBed, withTestBed } from './support/test-bed';

const run = promisify(execFile);
const REPO = join(__dirname, '../../..');
const dlqTool = (...args: string[]) =>
  run(process.execPath, [join(REPO, 'tools/dlq.mjs'), ...args], { cwd: REPO });

describe('dead letters (fixture service process, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b), 'all');

  it('moves poison events to the dead-letter topic, keeps the partition going, and replays once fixed', async () => {
    const service = await bed.start('a').ready();
    const poisoned = randomUUID();
    const rejected = randomUUID();
    // Poison first, then two healthy events of the same order, hence the same partition.
    await service.produce({ orderIds: [poisoned], perOrder: 1, behaviour: 'poison' });
    await service.produce({ orderIds: [poisoned], perOrder: 2, fromSeq: 2 });
    await service.produce({ orderIds: [rejected], perOrder: 1, behaviour: 'permanent' });
    const producer = bed.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: bed.ordersTopic,
      messages: [{ key: 'garbage', value: '{not json', headers: { 'event-type': 'OrderCreated' } }],
    });
    await producer.disconnect();

    const letters = await bed.readTopic(bed.dlqTopic, (all) => all.length >= 3);
    const byReason = (m: (typeof letters)[number]) => `${header(m, 'dlq-reason')}:${m.key?.toString()}`;
    expect(letters.map(byReason).sort()).toEqual(
      [`exhausted:${poisoned}`, 'permanent:garbage', `permanent:${rejected}`].sort(),
    );

    const poison = letters.find((m) => m.key?.toString() === poisoned)!;
    expect(header(poison, 'dlq-original-topic')).toBe(bed.ordersTopic);
    expect(Number(header(poison, 'dlq-original-partition'))).toBeGreaterThanOrEqual(0);
    expect(Number(header(poison, 'dlq-original-offset'))).toBeGreaterThanOrEqual(0);
    expect(header(poison, 'dlq-consumer-group')).toBe(bed.group);
    expect(header(poison, 'dlq-attempts')).toBe('3');
    expect(header(poison, 'dlq-error')).toContain('downstream dependency unavailable');
    const first = Date.parse(header(poison, 'dlq-first-failure-at')!);
    const last = Date.parse(header(poison, 'dlq-last-failure-at')!);
    expect(last).toBeGreaterThanOrEqual(first);
    expect(header(poison, 'event-type')).toBe('OrderCreated');
    expect(
      header(
        letters.find((m) => m.key?.toString() === 'garbage')!,
        'dlq-attempts',
      ),
    ).toBe('1');
    expect(
      header(
        letters.find((m) => m.key?.toString() === rejected)!,
        'dlq-error',
      ),
    ).toContain('PermanentEventError');

    // The events behind the poison one in its partition were applied.
    await waitFor('the followers of the poison event', async () => {
      const rows = await bed.query<{ seq: number }>(
        'select seq from fixture_effect where order_id = $1 order by seq',
        [poisoned],
      );
      return rows.map((r) => r.seq).join() === '2,3';
    });

    const poisonEventId = header(poison, 'event-id')!;
    const listed = await dlqTool('list', '--group', bed.group, '--json');
    expect(JSON.parse(listed.stdout).map((l: { eventId: string }) => l.eventId)).toContain(poisonEventId);

    const shown = JSON.parse(
      (await dlqTool('show', '--group', bed.group, '--event-id', poisonEventId)).stdout,
    );
    expect(shown).toMatchObject({
      eventId: poisonEventId,
      reason: 'exhausted',
      attempts: 3,
      headers: { 'dlq-original-topic': bed.ordersTopic },
      payload: { orderId: poisoned },
    });

    await service.post('/fixture/switch', { name: 'poison-fixed' });
    const replayed = await dlqTool('replay', '--group', bed.group, '--event-id', poisonEventId, '--json');
    expect(JSON.parse(replayed.stdout)).toEqual([
      expect.objectContaining({ eventId: poisonEventId, to: bed.ordersTopic }),
    ]);

    await waitFor(
      'the replayed event',
      async () =>
        (await bed.query('select 1 from fixture_effect where event_id = $1', [poisonEventId])).length === 1,
    );
    const effects = await bed.query<{ event_id: string }>(
      'select event_id from fixture_effect where order_id = $1',
      [poisoned],
    );
    expect(effects).toHaveLength(3);
    expect(await bed.messageCount(bed.dlqTopic)).toBe(3);
  });
});
