import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { MessagingTestBed, withTestBed } from './support/test-bed';

const orders = (n: number) => Array.from({ length: n }, () => randomUUID());

async function stableGroup(bed: MessagingTestBed, members: number) {
  const admin = bed.kafka.admin();
  await admin.connect();
  try {
    await waitFor(`${members} members in a stable group`, async () => {
      const { groups } = await admin.describeGroups([bed.group]);
      return groups[0].state === 'Stable' && groups[0].members.length === members;
    });
  } finally {
    await admin.disconnect();
  }
}

const unpublished = async (bed: MessagingTestBed) =>
  Number((await bed.query<{ n: string }>('select count(*) as n from messaging_outbox_events'))[0].n);

/** Every event applied exactly once, each order's events in sequence. */
async function expectExactlyOnceInOrder(bed: MessagingTestBed, total: number) {
  const effects = await bed.waitForEffects(total, 120_000);
  expect(effects).toEqual({ total, distinctEvents: total, violations: 0 });
  const gaps = await bed.query(
    `select order_id from fixture_effect group by order_id having max(seq) <> count(*) or min(seq) <> 1`,
  );
  expect(gaps).toEqual([]);
}

describe('crashes, fail-over and shutdown (fixture service processes, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b));

  it('publishes events committed by a process killed before it published them, and applies them once', async () => {
    const doomed = await bed.start('doomed', { relay: false }).ready();
    await doomed.produce({ orderIds: orders(4), perOrder: 5 });
    expect(await unpublished(bed)).toBe(20);
    doomed.kill('SIGKILL');
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await bed.messageCount(bed.ordersTopic)).toBe(0);

    await bed.start('restarted').ready();
    await expectExactlyOnceInOrder(bed, 20);
    await waitFor('the outbox to be drained', async () => (await unpublished(bed)) === 0);
    expect(await bed.messageCount(bed.ordersTopic)).toBe(20);
  }, 120_000);

  it('keeps per-order order with two relays and two consumers when one process is SIGKILLed mid-stream', async () => {
    // Started first, so it holds the relay lock: killing it fails over the relay too.
    const victim = await bed.start('victim').ready();
    const survivor = await bed.start('survivor').ready();
    await stableGroup(bed, 2);
    const orderIds = orders(40);

    await survivor.produce({ orderIds, perOrder: 25, concurrency: 8 });
    await waitFor('consumption under way', async () => (await bed.effects()).total >= 300, {
      timeoutMs: 60_000,
    });
    victim.kill('SIGKILL');
    await victim.exited;
    await survivor.produce({ orderIds, perOrder: 25, fromSeq: 26, concurrency: 8 });

    await expectExactlyOnceInOrder(bed, 2_000);
    const consumers = await bed.query<{ consumer: string }>(
      'select distinct consumer from fixture_effect order by 1',
    );
    expect(consumers.map((c) => c.consumer)).toEqual(['survivor', 'victim']);
    expect(await unpublished(bed)).toBe(0);
  }, 180_000);

  it('shuts down gracefully on SIGTERM mid-load: exits 0 in time, nothing lost or applied twice across a restart', async () => {
    const leaving = await bed.start('leaving').ready();
    const staying = await bed.start('staying').ready();
    await stableGroup(bed, 2);
    const orderIds = orders(30);

    await staying.produce({ orderIds, perOrder: 20, concurrency: 8 });
    await waitFor('consumption under way', async () => (await bed.effects()).total >= 150, {
      timeoutMs: 60_000,
    });
    const sent = Date.now();
    leaving.kill('SIGTERM');
    const more = staying.produce({ orderIds, perOrder: 10, fromSeq: 21, concurrency: 8 });
    expect(await leaving.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(20_000);
    await more;

    const back = await bed.start('back').ready();
    await back.produce({ orderIds, perOrder: 5, fromSeq: 31, concurrency: 8 });
    await expectExactlyOnceInOrder(bed, 30 * 35);
  }, 180_000);
});
