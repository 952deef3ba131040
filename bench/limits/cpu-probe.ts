import { createHash } from 'node:crypto';

/** A drift past this (either way) marks a run that must not be compared with others. */
export const CPU_DRIFT_FLAG_PERCENT = 15;

export interface CpuProbe {
  /** Median time of the fixed workload, in ms, on an idle box before the system starts. */
  beforeMs: number;
  /** The same after the system stopped. */
  afterMs: number;
  /** (after − before) ÷ before, in percent; far from 0 means the machine's speed moved during the run. */
  driftPercent: number;
}

const SAMPLE_ORDER = {
  orderId: '5d0c2f7e-6f4e-4c0b-9a53-2b1c3f4d5e6f',
  customerId: 'customer-42',
  status: 'PAID',
  items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${i}`, quantity: i + 1, unitPriceCents: 1999 })),
  shippingAddress: { line1: '1 Bench Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
};

/**
 * A fixed single-threaded workload of the kind the apps do per event (JSON in and out, hashing,
 * small objects), timed a few times; the median in ms. The same figure before and after a run says
 * whether the machine itself changed speed meanwhile: on shared VMs it does, by up to 2× within an
 * hour (docs/performance.md), and then two runs of different code cannot be compared.
 */
export function timeCpuWorkload(repetitions = 5, iterations = 40_000): number {
  const times: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const start = process.hrtime.bigint();
    let checksum = 0;
    for (let i = 0; i < iterations; i++) {
      const text = JSON.stringify({ ...SAMPLE_ORDER, version: i });
      const parsed = JSON.parse(text) as { version: number; items: unknown[] };
      checksum += parsed.version + parsed.items.length;
      if (i % 8 === 0) checksum += createHash('sha1').update(text).digest()[0];
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (checksum < 0) throw new Error('unreachable: keeps the loop from being optimized away');
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
}

export function cpuProbe(beforeMs: number, afterMs: number): CpuProbe {
  return { beforeMs, afterMs, driftPercent: Math.round(((afterMs - beforeMs) / beforeMs) * 1000) / 10 };
}
