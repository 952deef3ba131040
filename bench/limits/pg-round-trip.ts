import { Client } from 'pg';
import { PG_ADMIN_URL } from '@orderflow/testing';
import { now, percentiles, Percentiles, sleep } from '../saga/stats';

export interface PgRoundTrip {
  /** Microseconds of `select 1`, each sent as soon as the previous one was answered. */
  backToBackUs: Percentiles;
  /** Microseconds of the same, each after `idleMs` with nothing to do. */
  afterIdleUs: Percentiles & { idleMs: number };
}

/**
 * What one round trip to Postgres costs on this machine, hot and after a pause. At a light rate a
 * saga hop is a chain of round trips between processes that had gone idle (consumer, Postgres,
 * relay, broker), and waking an idle process can cost several times the round trip itself
 * (docs/performance.md, sixteenth pass). The Kafka floor's hops follow one another closely, so
 * they mostly run hot.
 */
export async function measurePgRoundTrip(options: { samples: number; idleMs: number }): Promise<PgRoundTrip> {
  const client = new Client({ connectionString: PG_ADMIN_URL, application_name: 'bench-round-trip' });
  await client.connect();
  const roundTripUs = async () => {
    const start = now();
    await client.query('select 1');
    return (now() - start) * 1_000;
  };
  try {
    await roundTripUs();
    const hot: number[] = [];
    for (let i = 0; i < options.samples; i++) hot.push(await roundTripUs());
    const idle: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      await sleep(options.idleMs);
      idle.push(await roundTripUs());
    }
    return { backToBackUs: percentiles(hot), afterIdleUs: { idleMs: options.idleMs, ...percentiles(idle) } };
  } finally {
    await client.end();
  }
}
