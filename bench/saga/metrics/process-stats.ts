import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ProcessSample {
  /** utime + stime, seconds. */
  cpuSeconds: number;
  /** stime alone: the part spent in the kernel on the process' behalf. */
  kernelSeconds: number;
  rssMb: number;
  /** VmHWM: the peak RSS since the process started. */
  peakRssMb: number;
  /** RssAnon: private memory, not counting shared memory mapped by several processes. */
  anonMb: number;
  shmemMb: number;
}

/** CPU time and memory of one process from /proc, or undefined once it has exited. */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const kernelSeconds = Number(fields[12]) / CLOCK_TICKS;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      cpuSeconds,
      kernelSeconds,
      rssMb: kb(status, 'VmRSS') / 1024,
      peakRssMb: kb(status, 'VmHWM') / 1024,
      anonMb: kb(status, 'RssAnon') / 1024,
      shmemMb: kb(status, 'RssShmem') / 1024,
    };
  } catch {
    return undefined; // the process has exited between listing and reading: it has no sample
  }
}

function kb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/** Pids of child processes of this process running `dist/apps/<app>/`, by app name. */
export function childAppPids(): Map<string, number[]> {
  const pids = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const app = /dist\/apps\/([^/]+)\//.exec(cmdline)?.[1];
      if (app) pids.set(app, [...(pids.get(app) ?? []), Number(entry)]);
    } catch {
      // exited while listing
    }
  }
  return pids;
}

/**
 * The process listening on a local TCP port (e.g. the Kafka broker of KAFKA_BROKERS: a chaos or
 * second broker on the same machine is someone else's), from `ss`.
 */
export function listenerPid(port: number): number | undefined {
  const out = execFileSync('ss', ['-Htlnp', `sport = :${port}`]).toString();
  const match = /pid=(\d+)/.exec(out);
  return match ? Number(match[1]) : undefined;
}

/** A process and its children (e.g. the postmaster and its backends and auxiliary processes). */
export function withChildren(pid: number): number[] {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) pids.push(Number(entry));
    } catch {
      // exited while listing
    }
  }
  return pids;
}
