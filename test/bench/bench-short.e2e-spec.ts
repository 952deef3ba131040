import { readdirSync } from 'node:fs';
import type { CpuProbe } from '../../bench/limits/cpu-probe';
import type { BenchReport } from '../../bench/saga/report';
import { BenchScriptRun, runBenchScript } from './bench-script';

// The short form of `npm run bench`: a short warm-up, one low-rate step of a few seconds, no limit measurements.
// It keeps the script working end to end and checks the run's invariants, not its speed.
describe('npm run bench (short form)', () => {
  let run: BenchScriptRun<BenchReport>;

  beforeAll(async () => {
    run = await runBenchScript<BenchReport>([
      '--rates',
      '20',
      '--step-seconds',
      '5',
      '--warmup-seconds',
      '2',
      '--warmup-max-seconds',
      '4',
      '--customers',
      '20',
      '--skus',
      '1000',
      '--drain-seconds',
      '45',
      '--limits',
      'none',
      '--keyed-percent',
      '50',
    ]);
  }, 170_000);

  afterAll(() => run?.remove());

  it('completes its step and writes the JSON report and the SVG chart', () => {
    expect(run.exitCode).toBe(0);
    expect(readdirSync(run.outDir).filter((file) => file.endsWith('.svg'))).toHaveLength(1);
    expect(run.report.steps).toHaveLength(1);
    const [step] = run.report.steps;
    expect(step.rate).toBe(20);
    expect(step.orders.offered).toBe(100);
    expect(step.orders.accepted).toBe(100);
    // Half the POSTs carried an Idempotency-Key, and their orders ran the saga like the others.
    expect(step.orders.acceptedKeyed).toBeGreaterThanOrEqual(40);
    expect(step.orders.acceptedKeyed).toBeLessThanOrEqual(60);
    expect(step.terminalLatencyMs.count).toBe(100);
    expect(Object.keys(step.hopLatencyMs)).toEqual(expect.arrayContaining(['PENDING→INVENTORY_RESERVED']));
    // The stages come from the step's messages on Kafka and the consumers' inboxes.
    expect(step.stageSource.complete).toBe(true);
    expect(Object.keys(step.stageLatencyMs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^relay /), expect.stringMatching(/^delivery /)]),
    );
    expect(step.postgres.commitsPerOrder).toBeGreaterThan(0);
    // An order alone writes its row, its history and its outbox events (inserted, then deleted once published).
    expect(step.postgres.rowsWrittenPerOrder).toBeGreaterThan(10);
    expect(step.postgres.walKbPerOrder).toBeGreaterThan(0);
    expect(step.kafka.messagesPerOrder).toBeGreaterThan(0);
    expect(Object.keys(step.processes)).toEqual(
      expect.arrayContaining(['order-service', 'gateway', 'kafka', 'postgres']),
    );
    // Two order-service instances by default (as deployed), the POSTs spread over both.
    expect(step.processes['order-service'].processes).toBe(2);
    expect(step.processes['inventory-service'].processes).toBe(1);
  });

  it("reports the Kafka broker's JIT time per warm-up round and per step, so a cold broker shows", () => {
    expect(run.report.warmupRounds?.length).toBeGreaterThanOrEqual(1);
    expect(run.report.warmupRounds?.length).toBeLessThanOrEqual(2);
    expect(run.report.warmupRounds?.[0].brokerJitSeconds).toEqual(expect.any(Number));
    expect(run.report.steps[0].brokerJitSeconds).toEqual(expect.any(Number));
    expect(run.output).toContain(
      `Kafka broker JIT compilation: warm-up rounds ${run.report.warmupRounds?.[0].brokerJitSeconds} s`,
    );
  });

  it('times the machine itself before and after the run, so a change of speed shows', () => {
    const probe = run.report.machine.cpuProbe as CpuProbe;
    expect(probe.beforeMs).toBeGreaterThan(0);
    expect(probe.afterMs).toBeGreaterThan(0);
    expect(run.output).toContain(
      `cpu probe (fixed JS workload on the idle box): ${probe.beforeMs} ms before`,
    );
  });

  it('every order ended as its kind should, with its terminal status pushed on the socket', () => {
    expect(run.report.steps[0].errors).toEqual({
      http: 0,
      wrongOutcome: 0,
      notTerminal: 0,
      missedPush: 0,
      samples: [],
    });
  });

  it('holds the saga invariants', () => {
    expect(run.report.invariants.length).toBeGreaterThanOrEqual(5);
    expect(run.report.invariants.filter((i) => !i.ok)).toEqual([]);
  });
});
