import { execFileSync } from 'node:child_process';
import { Logger } from '@nestjs/common';

/**
 * Seconds the Kafka broker's JVM has spent in its JIT compilers, from `jstat -compiler`. A broker
 * that started shortly before the run compiles its hot paths while the steps run: on the 2-vCPU
 * box, about 65 s of compilation over its first 2–3 minutes of saga traffic, during which its CPU
 * per order was twice its warm figure (docs/performance.md, tenth pass).
 */
/**
 * Above this share of a round or step spent compiling, the broker counts as still warming up.
 * Measured on the 2-vCPU box: 40–100 % in the first rounds after a broker start; 1–28 %, in bursts,
 * from a broker that had served the saga for 5 minutes or more.
 */
export const BROKER_JIT_BUSY_SHARE = 0.25;

/** True when the broker compiled for more than BROKER_JIT_BUSY_SHARE of `seconds`. */
export function brokerStillCompiling({
  seconds,
  brokerJitSeconds,
}: {
  seconds: number;
  brokerJitSeconds?: number;
}): boolean {
  return (brokerJitSeconds ?? 0) > BROKER_JIT_BUSY_SHARE * seconds;
}

export class BrokerJit {
  private warned = false;

  constructor(private readonly pid: number | undefined) {}

  /** Undefined when the broker is not a local process or the JDK's jstat is not installed. */
  compileSeconds(): number | undefined {
    if (this.pid === undefined) return undefined;
    const result = jstat(this.pid);
    if (result.ok) return parseJstatCompiler(result.output);
    if (!this.warned)
      new Logger('bench').warn(`broker JIT time not measured: jstat failed (${result.error})`);
    this.warned = true;
    return undefined;
  }
}

function jstat(pid: number): { ok: true; output: string } | { ok: false; error: string } {
  try {
    const output = execFileSync('jstat', ['-compiler', String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output: output.toString() };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The `Time` column of `jstat -compiler` (seconds compiled since the JVM started). */
export function parseJstatCompiler(output: string): number | undefined {
  const [header, values] = output.trim().split('\n');
  const column = header?.trim().split(/\s+/).indexOf('Time') ?? -1;
  const time = column < 0 ? NaN : Number(values?.trim().split(/\s+/)[column]);
  return Number.isFinite(time) ? time : undefined;
}
