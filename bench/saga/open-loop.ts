import { now, sleep } from './stats';

/** Granularity of the schedule: every tick starts everything that has come due. */
const TICK_MS = 2;

/**
 * An open-loop schedule: calls `start(i, dueAt)` for i = 0 … rate × seconds − 1 at
 * `dueAt = t0 + i / rate`, whether or not earlier calls have finished, so that a slow answer
 * delays no later request (no coordinated omission). Resolves when every call has settled.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  start: (i: number, dueAt: number) => Promise<void>,
): Promise<void> {
  const total = Math.round(rate * seconds);
  const inFlight: Promise<void>[] = [];
  const t0 = now() + 10;
  for (let i = 0; i < total;) {
    const t = now();
    while (i < total && t0 + (i * 1000) / rate <= t) {
      inFlight.push(start(i, t0 + (i * 1000) / rate));
      i += 1;
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
}
