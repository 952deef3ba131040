import { drawSchedule, SERVICES } from './fault-schedule';
import { midRequestViolations, mostSeen, MidWorkKill, summarizeKills } from './mid-work-kill';

const kill = (over: Partial<MidWorkKill>): MidWorkKill => ({
  target: 'payment-service',
  wanted: 'open-transaction',
  observed: true,
  tries: 1,
  waitedMs: 10,
  atKill: { inFlightOrders: 2 },
  ...over,
});

describe('mid-work kills', () => {
  it('aims each service kill at its work, from the seed', () => {
    for (const seed of [1, 42, 20251125]) {
      const [kills] = drawSchedule({
        seed,
        startMs: 0,
        endMs: 60_000,
        serviceSessionTimeoutMs: 30_000,
        gatewaySessionTimeoutMs: 6_000,
      });
      const wanted = Object.fromEntries(kills.map((f) => [f.target, f.midWork]));
      expect(wanted['order-service']).toBe('request-in-flight');
      const consumers = SERVICES.filter((s) => s !== 'order-service').map((s) => wanted[s]);
      expect(consumers.filter((w) => w === 'relay-mid-batch')).toHaveLength(1);
      expect(consumers.filter((w) => w === 'open-transaction')).toHaveLength(3);
      expect(wanted['notification-service']).toBe('open-transaction'); // it publishes nothing
      expect(kills.filter((f) => f.target.startsWith('gateway-')).map((f) => f.midWork)).toEqual([
        'under-load',
      ]);
    }
  });

  it('summarizes wanted and caught conditions and says which were not caught', () => {
    const summary = summarizeKills([
      kill({}),
      kill({ target: 'shipping-service', observed: false, note: 'not caught within 6000 ms' }),
      kill({ target: 'order-service', wanted: 'request-in-flight' }),
    ]);
    expect(summary.byCondition).toEqual({
      'open-transaction': { wanted: 2, observed: 1 },
      'request-in-flight': { wanted: 1, observed: 1 },
    });
    expect(summary.notCaught).toEqual(['shipping-service (open-transaction): not caught within 6000 ms']);
  });

  it('flags a mid-request kill whose retry did not end in the one order stored for the key', () => {
    const request = { idempotencyKey: 'k', customer: 'c', inFlight: true };
    const ok = { outcome: 'accepted' as const, orderId: 'o', keyRows: 1, sameOrder: true };
    expect(
      midRequestViolations([kill({ atKill: { inFlightOrders: 0, request: { ...request, retry: ok } } })]),
    ).toEqual([]);
    const bad = [
      kill({ atKill: { inFlightOrders: 0, request: { ...request, retry: { ...ok, sameOrder: false } } } }),
      kill({ atKill: { inFlightOrders: 0, request } }),
    ];
    expect(midRequestViolations(bad).map((v) => v.invariant)).toEqual([
      'mid-request-retry',
      'mid-request-retry',
    ]);
  });

  it('names what the looks found instead of the condition, most frequent first', () => {
    expect(mostSeen(new Map())).toBe('nothing');
    const seen = new Map([
      ['Produce in-proxy', 3],
      ['no Produce in flight', 120],
      ['relay active after batch-read', 1],
      ['Produce at-broker', 7],
    ]);
    expect(mostSeen(seen)).toBe('120× no Produce in flight, 7× Produce at-broker, 3× Produce in-proxy');
  });
});
