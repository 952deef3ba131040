import { measurePgRoundTrip } from './pg-round-trip';

describe('Postgres round trip (real server)', () => {
  it('times every sample, back to back and each after the pause', async () => {
    const started = Date.now();
    const roundTrip = await measurePgRoundTrip({ samples: 20, idleMs: 15 });
    const tookMs = Date.now() - started;

    for (const timing of [roundTrip.backToBackUs, roundTrip.afterIdleUs]) {
      expect(timing.count).toBe(20);
      expect(timing.p50).toBeGreaterThan(0);
      expect(timing.max).toBeGreaterThanOrEqual(timing.p50);
    }
    expect(roundTrip.afterIdleUs.idleMs).toBe(15);
    expect(tookMs).toBeGreaterThanOrEqual(20 * 15);
  }, 30_000);
});
