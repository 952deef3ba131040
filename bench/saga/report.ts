import { writeFileSync } from 'node:fs';
import { CPU_DRIFT_FLAG_PERCENT, CpuProbe } from '../limits/cpu-probe';
import { HttpCeiling } from '../limits/http-ceiling';
import { KafkaFloor } from '../limits/kafka-floor';
import { PgCeiling } from '../limits/pg-ceiling';
import { PgRoundTrip } from '../limits/pg-round-trip';
import { latencyChart } from './chart';
import { Invariant } from './invariants';
import { brokerStillCompiling } from './metrics/broker-jit';
import { SHARED_SERVER } from './metrics/resource-monitor';
import { BenchOptions } from './options';
import { writeJsonReport } from './run-info';
import { StepResult } from './step';

export interface Limits {
  postgres: PgCeiling;
  postgresRoundTrip: PgRoundTrip;
  kafka: KafkaFloor;
  http: HttpCeiling;
  ratios: {
    /** The step the ratios are computed for: the highest sustainable one (else the first). */
    atRate: number;
    sagaP50OverKafkaFloorP50: number;
    /**
     * The same ratio at the lowest step's rate: the floor is measured at a light rate, so this is
     * the like-for-like comparison; the one above includes the queueing of a busy box.
     */
    atLightestRate: { rate: number; sagaP50OverKafkaFloorP50: number };
    commitsOverPgCeiling: number;
    ordersOverHttpCeiling: number;
  };
}

export interface BenchReport {
  startedAt: string;
  commit: string;
  machine: Record<string, unknown> & { cpuProbe?: CpuProbe };
  options: BenchOptions;
  settings: Record<string, unknown>;
  /** The last warm-up round; the earlier ones (a broker still compiling) are in warmupRounds. */
  warmup?: StepResult;
  warmupRounds?: Array<{ seconds: number; brokerJitSeconds?: number }>;
  steps: StepResult[];
  sustainableRate: number;
  invariants: Invariant[];
  lifetimePeakRssMb: Record<string, number>;
  limits?: Limits;
}

/** Writes `<date>-<commit>.json` and `.svg` into `dir`; returns their paths. */
export function writeReport(report: BenchReport, dir: string): string[] {
  const json = writeJsonReport(dir, '', report);
  const svg = json.replace(/\.json$/, '.svg');
  writeFileSync(svg, latencyChart(report));
  return [json, svg];
}

export function printReport(report: BenchReport): void {
  const out: string[] = [''];
  out.push(`orderflow benchmark — ${report.startedAt} — commit ${report.commit}`);
  out.push(
    `machine: ${report.machine.cpus} CPUs (${report.machine.cpuModel}), ${report.machine.memoryGb} GB, Node ${report.machine.node}`,
  );
  const probe = report.machine.cpuProbe;
  if (probe) {
    out.push(
      `cpu probe (fixed JS workload on the idle box): ${probe.beforeMs} ms before the run, ${probe.afterMs} ms after (${probe.driftPercent > 0 ? '+' : ''}${probe.driftPercent} %)` +
        (Math.abs(probe.driftPercent) > CPU_DRIFT_FLAG_PERCENT
          ? ' — the machine changed speed during the run: do not compare it with other runs'
          : ''),
    );
  }
  out.push('');
  out.push(
    row([
      'rate/s',
      'done/s',
      'POST p50',
      'p99',
      'max',
      'status p50',
      'p95',
      'p99',
      'max',
      'commits/o',
      'rows/o',
      'WAL KB/o',
      'msgs/o',
      'ok',
    ]),
  );
  for (const s of report.steps) {
    out.push(
      row([
        s.rate,
        s.orders.completedPerSecond,
        s.postLatencyMs.p50,
        s.postLatencyMs.p99,
        s.postLatencyMs.max,
        s.terminalLatencyMs.p50,
        s.terminalLatencyMs.p95,
        s.terminalLatencyMs.p99,
        s.terminalLatencyMs.max,
        s.postgres.commitsPerOrder,
        s.postgres.rowsWrittenPerOrder,
        s.postgres.walKbPerOrder,
        s.kafka.messagesPerOrder,
        s.sustainable ? 'yes' : 'NO',
      ]),
    );
    if (!s.sustainable) out.push(`        ${s.verdict.join('; ')}`);
    for (const sample of s.errors.samples.slice(0, 3)) out.push(`        e.g. ${sample}`);
    if (s.maxForeignGroupMembers > 0)
      out.push(
        `        warning: consumer groups shared with another running stack (${s.maxForeignGroupMembers} members not this run's)`,
      );
  }
  out.push('');
  out.push(
    `sustainable: ${report.sustainableRate} orders/s (latencies in ms; status = POST sent → terminal status on the socket)`,
  );
  const last = report.steps.filter((s) => s.sustainable).at(-1) ?? report.steps.at(-1);
  if (last) {
    out.push(
      `per hop at ${last.rate}/s (order history, p50/p99 ms): ` +
        Object.entries(last.hopLatencyMs)
          .map(([hop, p]) => `${hop} ${p.p50}/${p.p99}`)
          .join(', '),
    );
    const source = last.stageSource;
    out.push(
      `stages at ${last.rate}/s (p50/p99 ms; ${source.events} events read from Kafka in ${source.readMs} ms` +
        `${source.complete ? '' : ', INCOMPLETE: the read hit its deadline'}): ` +
        Object.entries(last.stageLatencyMs)
          .map(([stage, p]) => `${stage} ${p.p50}/${p.p99}`)
          .join(', '),
    );
    out.push(
      `CPU ms per order and peak RSS MB at ${last.rate}/s: ` +
        Object.entries(last.processes)
          .map(
            ([name, p]) => `${name}${instances(name, p.processes)} ${p.cpuMsPerOrder} ms ${p.peakRssMb} MB`,
          )
          .join(', '),
    );
    out.push(brokerJitLine(report));
  }
  out.push(
    `lifetime peak RSS MB: ${Object.entries(report.lifetimePeakRssMb)
      .map(([n, mb]) => `${n} ${mb}`)
      .join(', ')}`,
  );
  if (report.limits) {
    const { postgres, postgresRoundTrip: trip, kafka, http, ratios } = report.limits;
    out.push(
      `limits: Postgres ${postgres.commitsPerSecond} commits/s (pgbench, ${postgres.clients} clients), ` +
        `round trip p50 ${trip.backToBackUs.p50} µs back to back, ${trip.afterIdleUs.p50} µs after ${trip.afterIdleUs.idleMs} ms idle; ` +
        `Kafka 5-hop floor p50 ${kafka.latency.p50} / p99 ${kafka.latency.p99} ms${floorJit(kafka)}, ${kafka.throughput.messagesPerSecond} msgs/s; ` +
        `HTTP no-op Nest ${http.requestsPerSecond} req/s`,
    );
    out.push(
      `ratios at ${ratios.atRate}/s: saga p50 ÷ Kafka floor p50 = ${ratios.sagaP50OverKafkaFloorP50}; ` +
        `commits ÷ Postgres ceiling = ${ratios.commitsOverPgCeiling}; orders ÷ HTTP ceiling = ${ratios.ordersOverHttpCeiling}; ` +
        `at ${ratios.atLightestRate.rate}/s: saga p50 ÷ Kafka floor p50 = ${ratios.atLightestRate.sagaP50OverKafkaFloorP50}`,
    );
  }
  out.push('invariants:');
  for (const i of report.invariants) out.push(`  ${i.ok ? 'ok  ' : 'FAIL'} ${i.name} — ${i.detail}`);
  process.stdout.write(out.join('\n') + '\n');
}

function row(cells: (string | number)[]): string {
  return cells.map((c, i) => String(c).padStart(i === 0 ? 7 : 10)).join(' ');
}

/** `×2` after an app that ran as several processes (their CPU summed, the highest RSS of one). */
function instances(name: string, processes: number): string {
  return name !== SHARED_SERVER && processes > 1 ? ` ×${processes}` : '';
}

/** How long the broker compiled during the floor's latency run, when that was measured. */
function floorJit(kafka: KafkaFloor): string {
  const jit = kafka.latency.brokerJitSeconds;
  return jit === undefined ? '' : ` (broker JIT ${jit} s of its ${kafka.latency.seconds} s)`;
}

/** The broker's JIT time per warm-up round and per step; a busy compiler means a broker still warming. */
function brokerJitLine(report: BenchReport): string {
  const seconds = (s: number | undefined) => (s === undefined ? '?' : `${s} s`);
  const rounds = report.warmupRounds ?? [];
  const warm =
    rounds.length > 0 ? `warm-up rounds ${rounds.map((r) => seconds(r.brokerJitSeconds)).join(', ')}; ` : '';
  const steps = report.steps.map((s) => `${s.rate}/s ${seconds(s.brokerJitSeconds)}`).join(', ');
  const busy = report.steps.some(brokerStillCompiling);
  return (
    `Kafka broker JIT compilation: ${warm}steps ${steps}` +
    (busy
      ? " — the broker's JIT was busy for more than a quarter of a step: Kafka's CPU per order includes compiling"
      : '')
  );
}
