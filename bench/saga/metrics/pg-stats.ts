import { Client } from 'pg';
import { PG_ADMIN_URL } from '@orderflow/testing';

/**
 * Committed transactions per database from `pg_stat_database.xact_commit`. The statistics are
 * flushed by backends at most every second or so, hence `settle()` before a final read.
 */
export class PgCommitCounter {
  private constructor(
    private readonly client: Client,
    private readonly databases: string[],
  ) {}

  static async connect(databases: string[]): Promise<PgCommitCounter> {
    const client = new Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    return new PgCommitCounter(client, databases);
  }

  async read(): Promise<Record<string, number>> {
    await this.client.query('select pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ datname: string; xact_commit: string }>(
      'select datname, xact_commit from pg_stat_database where datname = any($1)',
      [this.databases],
    );
    return Object.fromEntries(rows.map((row) => [row.datname, Number(row.xact_commit)]));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

export const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
