import { writeJsonReport } from '../saga/run-info';
import { Percentiles } from '../saga/stats';
import { GatewayBenchOptions } from './options';
import { ConnectResult, DeliveryCheck } from './socket-fleet';

export interface StepResult {
  sockets: number;
  connect: ConnectResult;
  /** Gateway memory from /proc/<pid>/status: VmRSS before and after the step, VmHWM at its end. */
  gatewayMb: { rssBefore: number; rssConnected: number; rssAfterPush: number; peak: number };
  /** (RSS once connected − RSS with no sockets) per 1,000 connected sockets. */
  rssPer1000SocketsMb: number;
  /** (RSS once connected − RSS before the step) per 1,000 sockets the step added. */
  addedRssPer1000SocketsMb: number;
  push: {
    rate: number;
    published: number;
    publishedPerSecond: number;
    /** Socket receipt − the event's occurredAt, every delivery of the phase. */
    latencyMs: Percentiles;
    delivery: DeliveryCheck;
    /** Seconds from the last publish until every expected push had arrived (or the deadline). */
    drainSeconds: number;
  };
  /** Share of one core (100 = one core busy) during the connect and the push phase. */
  cpuPercent: {
    gatewayConnect: number;
    loadGeneratorConnect: number;
    gatewayPush: number;
    loadGeneratorPush: number;
  };
  /** Sockets still connected after the push phase, and every disconnect so far by reason. */
  connectedAfterPush: number;
  disconnects: Record<string, number>;
  loadGeneratorRssMb: number;
  loadAverage: number[];
  withinBudget: boolean;
}

export interface GatewayBenchReport {
  startedAt: string;
  commit: string;
  machine: Record<string, unknown>;
  options: GatewayBenchOptions;
  settings: Record<string, unknown>;
  baselineRssMb: number;
  steps: StepResult[];
  /** The most sockets a step held with the gateway's peak RSS within the budget. */
  maxSocketsWithinBudget: number;
  /** Linear extrapolation from the last step within budget (RSS per socket stays constant). */
  projectedSocketsAtBudget: number;
  stoppedBecause: string;
}

/** Writes `gateway-<date>-<commit>.json` into `dir`; returns its path. */
export function writeReport(report: GatewayBenchReport, dir: string): string {
  return writeJsonReport(dir, 'gateway-', report);
}

export function printReport(report: GatewayBenchReport): void {
  const m = report.machine;
  const out: string[] = ['', `orderflow gateway benchmark — ${report.startedAt} — commit ${report.commit}`];
  out.push(
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, ulimit -n ${m.openFilesLimit}; ` +
      `adapter ${report.settings.adapter}; gateway RSS with no sockets ${report.baselineRssMb} MB`,
  );
  out.push('');
  out.push(
    row([
      'sockets',
      'conn/s',
      'hs p99',
      'RSS MB',
      'MB/1k',
      'added',
      'pushes/s',
      'p50 ms',
      'p95',
      'p99',
      'max',
      'delivered',
      'dup',
      'gw CPU%',
      'gen CPU%',
      'load1',
    ]),
  );
  for (const s of report.steps) {
    const d = s.push.delivery;
    out.push(
      row([
        s.connect.connected,
        s.connect.perSecond,
        s.connect.handshakeMs.p99,
        s.gatewayMb.peak,
        s.rssPer1000SocketsMb,
        s.addedRssPer1000SocketsMb,
        s.push.publishedPerSecond,
        s.push.latencyMs.p50,
        s.push.latencyMs.p95,
        s.push.latencyMs.p99,
        s.push.latencyMs.max,
        `${d.delivered}/${d.expected}`,
        d.duplicates + d.foreign,
        s.cpuPercent.gatewayPush,
        s.cpuPercent.loadGeneratorPush,
        s.loadAverage[0],
      ]),
    );
  }
  out.push('');
  out.push(
    `max sockets held within ${report.options.budgetMb} MB RSS: ${report.maxSocketsWithinBudget} measured, ` +
      `~${report.projectedSocketsAtBudget} projected; stopped: ${report.stoppedBecause}`,
  );
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

const row = (cells: (string | number)[]) => cells.map((c) => String(c).padStart(9)).join(' ');
