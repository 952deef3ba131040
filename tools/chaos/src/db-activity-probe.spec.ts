import { classify } from './db-activity-probe';

const backend = (over: Record<string, unknown>) => ({
  pid: 1,
  app: 'inventory-service',
  state: 'idle',
  xactAgeMs: null,
  wrote: false,
  query: '',
  ...over,
});

describe('classify (what a kill looks for in pg_stat_activity)', () => {
  it('counts transactions open on the service connections only, health checks aside', () => {
    const sample = classify('inventory-service', 0, [
      backend({ pid: 1, state: 'idle in transaction', xactAgeMs: 3, wrote: true, query: 'insert into x' }),
      backend({ pid: 2, state: 'active', xactAgeMs: 0, query: 'select 1' }),
      backend({ pid: 3, state: 'idle', query: 'commit' }),
      backend({ pid: 4, app: 'outbox-relay', state: 'active', xactAgeMs: 1, query: 'select b.id, e.topic' }),
      backend({ pid: 5, app: 'chaos-probe', state: 'active', xactAgeMs: 1, query: 'select' }),
    ]);
    expect(sample.openTransactions.map((t) => t.pid)).toEqual([1]);
    expect(sample.openTransactions[0]).toMatchObject({ state: 'idle in transaction', wrote: true });
  });

  it("names the relay connection's last statement", () => {
    const relay = (query: string, state = 'idle') =>
      backend({ pid: 9, app: 'outbox-relay', state, query: `\n  ${query} from messaging_outbox` });
    expect(classify('a', 2, [relay('select b.id, e.topic, e.key as message_key')]).relay).toEqual({
      state: 'idle',
      lastStatement: 'batch-read',
    });
    const deleting = relay('delete from messaging_outbox where id = any($1::bigint[])', 'active');
    expect(classify('a', 2, [deleting]).relay).toEqual({
      state: 'active',
      lastStatement: 'delete-published',
    });
    expect(classify('a', 2, [relay('select count(*)::int as rows')]).relay?.lastStatement).toBe('other');
    expect(classify('a', 2, []).relay).toBeNull();
  });
});
