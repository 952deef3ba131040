import { DataSource } from 'typeorm';

/** Arbitrary but fixed: every replica of every service contends for the same key in its own DB. */
const MIGRATION_LOCK_KEY = 727_001;

/** Runs pending migrations while holding a session advisory lock, so concurrent starts serialize. */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await runner.release();
  }
}
