import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase, PG_ADMIN_URL } from '@orderflow/testing';

const run = promisify(execFile);

export interface PgCeiling {
  clients: number;
  seconds: number;
  commitsPerSecond: number;
  latencyAverageMs: number;
  script: string;
}

const SCRIPT = 'insert into bench_events (id, payload) values (gen_random_uuid(), \'{"kind":"bench"}\');\n';

/**
 * The Postgres commit ceiling: `pgbench` running a one-row insert per transaction (about the
 * smallest write a saga step commits) at the given concurrency, into a throwaway database, with the
 * server's own durability settings (synchronous_commit as configured).
 */
export async function measurePgCeiling(options: { clients: number; seconds: number }): Promise<PgCeiling> {
  const db = await createTestDatabase('bench_pgbench');
  const dir = mkdtempSync(join(tmpdir(), 'bench-pgbench-'));
  try {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      'create table bench_events (id uuid primary key, payload jsonb not null, at timestamptz not null default now())',
    );
    await client.end();
    const script = join(dir, 'insert.sql');
    writeFileSync(script, SCRIPT);
    const admin = new URL(PG_ADMIN_URL);
    const { stdout } = await run(
      'pgbench',
      [
        '-h',
        admin.hostname,
        '-p',
        admin.port || '5432',
        '-U',
        decodeURIComponent(admin.username || 'postgres'),
        '-n',
        '-c',
        String(options.clients),
        '-j',
        '2',
        '-T',
        String(options.seconds),
        '-f',
        script,
        db.name,
      ],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(admin.password) } },
    );
    return {
      clients: options.clients,
      seconds: options.seconds,
      commitsPerSecond: Math.round(number(stdout, /tps = ([\d.]+)/)),
      latencyAverageMs: number(stdout, /latency average = ([\d.]+) ms/),
      script: SCRIPT.trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

function number(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  if (!match) throw new Error(`pgbench output did not match ${pattern}:\n${text}`);
  return Number(match[1]);
}
