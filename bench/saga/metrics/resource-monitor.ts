import { childAppPids, listenerPid, sampleProcess, withChildren } from './process-stats';

export interface ProcessUsage {
  cpuSeconds: number;
  /**
   * Highest RSS sampled during the window: of one process for an app with several instances (the
   * budget is per process), of all its processes together for Postgres.
   */
  peakRssMb: number;
  processes: number;
}

type Group = () => number[];
/** The processes of one app, Kafka or the load generator, each on its own; Postgres as one. */
export const SHARED_SERVER = 'postgres';

/**
 * CPU seconds and peak RSS per process group over a window: each app, Kafka (its JVM), Postgres
 * (the postmaster and all its children: the server is shared, so others' work counts too), and
 * the load generator itself. Postgres RSS counts private memory per process plus shared memory once. RSS is sampled every `intervalMs`.
 */
export class ResourceMonitor {
  private readonly groups = new Map<string, Group>();
  private start = new Map<string, Map<number, number>>();
  private peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(ports: { kafka: number; postgres: number }) {
    for (const [app, pids] of childAppPids()) this.groups.set(app, () => pids);
    const kafka = listenerPid(ports.kafka);
    if (kafka) this.groups.set('kafka', () => [kafka]);
    const postmaster = listenerPid(ports.postgres);
    if (postmaster) this.groups.set(SHARED_SERVER, () => withChildren(postmaster));
    this.groups.set('load-generator', () => [process.pid]);
  }

  /** The Kafka broker's process, found by its listening port (undefined: not a local process). */
  brokerPid(): number | undefined {
    return this.groups.get('kafka')?.()[0];
  }

  begin(intervalMs = 500): void {
    this.start = new Map([...this.groups].map(([name, pids]) => [name, cpuByPid(pids())]));
    this.peak = new Map();
    this.sampleRss();
    this.timer = setInterval(() => this.sampleRss(), intervalMs);
  }

  end(): Record<string, ProcessUsage> {
    clearInterval(this.timer);
    this.sampleRss();
    const usage: Record<string, ProcessUsage> = {};
    for (const [name, pids] of this.groups) {
      const before = this.start.get(name) ?? new Map<number, number>();
      const after = cpuByPid(pids());
      let cpu = 0;
      // A process that started during the window counts from zero; one that exited is lost.
      for (const [pid, seconds] of after) cpu += seconds - (before.get(pid) ?? 0);
      usage[name] = {
        cpuSeconds: Math.round(cpu * 100) / 100,
        peakRssMb: Math.round(this.peak.get(name) ?? 0),
        processes: after.size,
      };
    }
    return usage;
  }

  /** VmHWM of each app: its peak RSS over its whole life. */
  lifetimePeakRssMb(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const [name, pids] of this.groups) {
      if (name === SHARED_SERVER) continue;
      peaks[name] = Math.round(Math.max(0, ...pids().map((pid) => sampleProcess(pid)?.peakRssMb ?? 0)));
    }
    return peaks;
  }

  private sampleRss() {
    for (const [name, pids] of this.groups) {
      const samples = pids().flatMap((pid) => sampleProcess(pid) ?? []);
      // Postgres's processes map one shared memory segment: count it once.
      const rss =
        name === SHARED_SERVER
          ? samples.reduce((sum, s) => sum + s.anonMb, 0) + Math.max(0, ...samples.map((s) => s.shmemMb))
          : Math.max(0, ...samples.map((s) => s.rssMb));
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, rss));
    }
  }
}

function cpuByPid(pids: number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    const sample = sampleProcess(pid);
    if (sample) cpu.set(pid, sample.cpuSeconds);
  }
  return cpu;
}
