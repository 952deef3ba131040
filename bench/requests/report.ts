import { writeJsonReport } from '../saga/run-info';
import { Percentiles } from '../saga/stats';
import type { RequestBenchOptions } from './options';

export interface KindResult {
  kind: string;
  what: string;
  round: number;
  requests: number;
  failures: number;
  failureSamples: string[];
  /** The serving process' CPU during the measurement, seconds, idle share included. */
  processCpuSeconds: number;
  /** Its CPU per request: its CPU during the measurement minus its idle rate, ms. */
  cpuMsPerRequest: number;
  /** The share of that CPU spent in the kernel. */
  kernelShare: number;
  /** Its idle CPU, in cores, measured just before. */
  idleCores: number;
  latencyMs: Percentiles;
}

export interface RequestBenchReport {
  startedAt: string;
  commit: string;
  machine: Record<string, unknown>;
  options: Omit<RequestBenchOptions, 'kinds'> & { kinds: string[] };
  settings: Record<string, string>;
  results: KindResult[];
}

/** Writes `requests-<date>-<commit>.json` into `dir`; returns its path. */
export function writeReport(report: RequestBenchReport, dir: string): string {
  return writeJsonReport(dir, 'requests-', report);
}

export function printReport(report: RequestBenchReport): void {
  const out = [
    '',
    `orderflow request-cost benchmark — ${report.startedAt} — commit ${report.commit}`,
    `order-service alone (relay off, no other service) and a bare Nest app, ${report.options.rate} requests/s, ${report.options.seconds} s per kind and round`,
    '',
    `${'request'.padEnd(10)} ${'round'.padStart(5)} ${'requests'.padStart(8)} ${'CPU ms/req'.padStart(10)} ${'kernel'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'failed'.padStart(6)}`,
  ];
  for (const r of report.results)
    out.push(
      `${r.kind.padEnd(10)} ${String(r.round).padStart(5)} ${String(r.requests).padStart(8)} ${r.cpuMsPerRequest.toFixed(3).padStart(10)} ${`${Math.round(r.kernelShare * 100)} %`.padStart(6)} ${String(r.latencyMs.p50).padStart(7)} ${String(r.latencyMs.p99).padStart(7)} ${String(r.failures).padStart(6)}`,
    );
  for (const r of report.results)
    for (const sample of r.failureSamples.slice(0, 3)) out.push(`  ${r.kind}: ${sample}`);
  out.push('', ...[...new Set(report.results.map((r) => `${r.kind}: ${r.what}`))]);
  process.stdout.write(out.join('\n') + '\n');
}
