import { Client } from 'pg';
import { PG_ADMIN_URL } from '@orderflow/testing';

/** Counters of the run's databases at one moment; subtract two readings with `pgDelta`. */
export interface PgReading {
  /** `pg_stat_database.xact_commit` per database. */
  commits: Record<string, number>;
  /** Rows inserted, updated and deleted per database (`tup_inserted + tup_updated + tup_deleted`). */
  rowsWritten: Record<string, number>;
  /** WAL position in bytes; the WAL is the server's, so other databases' writes count too. */
  walBytes: number;
  /** Full-page images written to the WAL so far (`pg_stat_wal.wal_fpi`, server-wide). */
  walFullPageImages: number;
}

/**
 * Reads what the run's databases did from `pg_stat_database` and the WAL position. The statistics
 * are flushed by backends at most every second or so, hence the pause before a final read. Unlike
 * CPU figures, row and WAL volumes per order do not depend on the machine's speed, so they judge a
 * change to the SQL even on a VM that drifts.
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

  async read(): Promise<PgReading> {
    await this.client.query('select pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ datname: string; xact_commit: string; written: string }>(
      `select datname, xact_commit, tup_inserted + tup_updated + tup_deleted as written
         from pg_stat_database where datname = any($1)`,
      [this.databases],
    );
    const wal = await this.client.query<{ bytes: string; fpi: string }>(
      `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as bytes, wal_fpi as fpi from pg_stat_wal`,
    );
    return {
      commits: Object.fromEntries(rows.map((row) => [row.datname, Number(row.xact_commit)])),
      rowsWritten: Object.fromEntries(rows.map((row) => [row.datname, Number(row.written)])),
      walBytes: Number(wal.rows[0]!.bytes),
      walFullPageImages: Number(wal.rows[0]!.fpi),
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

export function pgDelta(after: PgReading, before: PgReading): PgReading {
  return {
    commits: delta(after.commits, before.commits),
    rowsWritten: delta(after.rowsWritten, before.rowsWritten),
    walBytes: after.walBytes - before.walBytes,
    walFullPageImages: after.walFullPageImages - before.walFullPageImages,
  };
}

export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

export const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
