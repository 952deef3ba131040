import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { MessagingTestBed, withTestBed } from './support/test-bed';

// OUTBOX_RELAY (docs/adr/0052-*): instances that serve and consume but never relay, and one that
// only relays.
describe('a relay-only instance beside instances that never relay (fixture service processes, real Postgres and Kafka)', () => {
  let bed: MessagingTestBed;
  withTestBed((b) => (bed = b));

  const outboxEvents = async () =>
    Number((await bed.query<{ n: string }>('select count(*) as n from messaging_outbox_events'))[0].n);
  const relayConnections = async () =>
    Number(
      (
        await bed.query<{ n: string }>(
          `select count(*) as n from pg_stat_activity
            where datname = current_database() and application_name = 'outbox-relay'`,
        )
      )[0].n,
    );
  const groupMembers = async () => {
    const admin = bed.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([bed.group]);
      return groups[0].members.map((member) => member.clientId);
    } finally {
      await admin.disconnect();
    }
  };

  it('leaves the outbox to the relay-only instance, which publishes it, consumes nothing and serves no API', async () => {
    const worker = await bed.start('worker', { outboxRelay: 'off' }).ready();
    await worker.produce({ orderIds: [randomUUID(), randomUUID(), randomUUID()], perOrder: 4 });
    // Ready means its consumer runs: a relay of its own would have connected long before.
    expect(await relayConnections()).toBe(0);
    expect(await outboxEvents()).toBe(12);

    const relay = await bed.start('relay', { outboxRelay: 'only' }).ready();
    expect(await bed.waitForEffects(12)).toEqual({ total: 12, distinctEvents: 12, violations: 0 });
    await waitFor('the published rows deleted', async () => (await outboxEvents()) === 0, {
      timeoutMs: 10_000,
    });
    expect(await relayConnections()).toBe(1);

    expect(await groupMembers()).toHaveLength(1);
    const refused = await fetch(`${relay.url}/fixture/produce`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderIds: [randomUUID()], perOrder: 1 }),
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(await outboxEvents()).toBe(0);
    expect((await fetch(`${relay.url}/metrics`)).status).toBe(200);
  }, 120_000);
});
