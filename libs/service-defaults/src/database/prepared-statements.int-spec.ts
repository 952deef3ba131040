import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createTestDatabase } from '@orderflow/testing';
import { dataSourceOptions } from './database.module';
import { MAX_PREPARED_PER_CONNECTION, prepareStatements } from './prepared-statements';

describe('prepared statements on the service pool (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('prepared');
    dataSource = await new DataSource(
      dataSourceOptions(
        { DATABASE_URL: db.url },
        { name: 'prepared-int' },
        { entities: [], migrations: [], poolSize: 2 },
      ),
    ).initialize();
    prepareStatements((dataSource.driver as PostgresDriver).master as Pool);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  /** The connection's prepared statements, read on that same connection. */
  const preparedOn = (run: (query: (sql: string, params?: unknown[]) => Promise<unknown>) => Promise<void>) =>
    dataSource.transaction(async (manager) => {
      await run((sql, params) => manager.query(sql, params));
      const rows: Array<{ statement: string }> = await manager.query(
        'select statement from pg_prepared_statements',
      );
      return rows.map((row) => row.statement);
    });

  it('prepares a parameterized statement once and answers it like an unnamed one', async () => {
    const results: unknown[] = [];
    const statements = await preparedOn(async (query) => {
      for (const n of [1, 2, 3]) results.push(await query('select $1::int + 1 as next', [n]));
    });
    expect(results).toEqual([[{ next: 2 }], [{ next: 3 }], [{ next: 4 }]]);
    expect(statements.filter((s) => s === 'select $1::int + 1 as next')).toHaveLength(1);
  });

  it('leaves statements without parameters unnamed', async () => {
    const statements = await preparedOn(async (query) => {
      await query('select 42 as answer');
    });
    expect(statements).not.toContain('select 42 as answer');
  });

  it('stops preparing new texts past the per-connection cap, and still answers them', async () => {
    const statements = await preparedOn(async (query) => {
      for (let i = 0; i <= MAX_PREPARED_PER_CONNECTION; i++) await query(`select $1::int as v${i}`, [i]);
      expect(await query(`select $1::int as over`, [7])).toEqual([{ over: 7 }]);
    });
    expect(statements.length).toBeLessThanOrEqual(MAX_PREPARED_PER_CONNECTION);
    expect(statements).not.toContain('select $1::int as over');
  });
});
