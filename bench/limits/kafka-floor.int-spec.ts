import { HOPS, measureKafkaFloor } from './kafka-floor';

describe('Kafka floor (real broker)', () => {
  it('measures every latency probe through the five hops, after a warm-up, with the broker JIT time of the latency run', async () => {
    const compiled = [12.5, 13.75];
    const floor = await measureKafkaFloor({
      seconds: 1,
      rate: 50,
      warmupSeconds: 1,
      brokerCompileSeconds: () => compiled.shift(),
    });

    expect(floor.hops).toBe(HOPS);
    expect(floor.warmupSeconds).toBe(1);
    expect(floor.latency.count).toBe(50);
    expect(floor.latency.p50).toBeGreaterThan(0);
    expect(floor.latency.p99).toBeGreaterThanOrEqual(floor.latency.p50);
    // Read just before and just after the latency run, not around the warm-up or the throughput run.
    expect(floor.latency.brokerJitSeconds).toBe(1.25);
    expect(compiled).toEqual([]);
    expect(floor.throughput.messages).toBeGreaterThan(0);
    expect(floor.throughput.messagesPerSecond).toBeGreaterThan(0);
  }, 120_000);
});
