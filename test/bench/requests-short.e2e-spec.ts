import type { RequestBenchReport } from '../../bench/requests/report';
import { REQUEST_KINDS } from '../../bench/requests/request-kinds';
import { BenchScriptRun, runBenchScript } from './bench-script';

// The short form of `npm run bench:requests`: one round of each request kind, two seconds each.
// It keeps the script working and checks each request got the answer its kind expects, not speed.
describe('npm run bench:requests (short form)', () => {
  let run: BenchScriptRun<RequestBenchReport>;

  beforeAll(async () => {
    run = await runBenchScript<RequestBenchReport>(
      [
        '--bench',
        'requests',
        '--rate',
        '20',
        '--seconds',
        '2',
        '--warmup-seconds',
        '1',
        '--idle-seconds',
        '1',
        '--rounds',
        '1',
      ],
      'requests-',
    );
  }, 120_000);

  afterAll(() => run?.remove());

  it('measures every request kind once, each answered as its kind expects', () => {
    expect(run.exitCode).toBe(0);
    expect(run.report.results.map((r) => r.kind)).toEqual(REQUEST_KINDS.map((k) => k.name));
    for (const result of run.report.results) {
      expect(result).toMatchObject({ round: 1, requests: 40, failures: 0, failureSamples: [] });
      expect(result.latencyMs.count).toBe(40);
      expect(result.kernelShare).toBeGreaterThanOrEqual(0);
      expect(result.kernelShare).toBeLessThanOrEqual(1);
    }
  });

  it("reads order-service's own CPU for the accepted POSTs", () => {
    const accepted = run.report.results.find((r) => r.kind === 'accepted');
    // 40 POSTs take tens of ms of CPU: above /proc's 10 ms resolution. Net of the idle rate, the
    // figure of so short a run may be anything, so only the process' own reading is checked.
    expect(accepted?.processCpuSeconds).toBeGreaterThan(0);
    expect(Number.isFinite(accepted?.cpuMsPerRequest)).toBe(true);
    expect(run.output).toContain('orderflow request-cost benchmark');
  });
});
