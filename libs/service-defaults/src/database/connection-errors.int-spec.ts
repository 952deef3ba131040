import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createTestDatabase, PG_ADMIN_URL } from '@orderflow/testing';
import { survivePoolConnectionErrors } from './connection-errors';
import { dataSourceOptions } from './database.module';

describe('a pool connection ended by the server while checked out (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let pool: Pool;
  const warnings: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('conn-errors');
    dataSource = await new DataSource(
      dataSourceOptions(
        { DATABASE_URL: db.url },
        { name: 'conn-errors-int' },
        { entities: [], migrations: [], poolSize: 2 },
      ),
    ).initialize();
    pool = (dataSource.driver as PostgresDriver).master as Pool;
    survivePoolConnectionErrors(pool, { warn: (message: string) => warnings.push(message) } as never);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('has a listener on every checked-out connection, where pg-pool leaves none', async () => {
    const client = await pool.connect();
    try {
      expect(client.listenerCount('error')).toBeGreaterThan(0);
    } finally {
      client.release();
    }
  });

  it('loses the connection without an unhandled error, and the pool goes on with a new one', async () => {
    const client = await pool.connect();
    const [{ pid }] = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await waitFor(() => warnings.some((w) => w.startsWith('database connection lost')));
    client.release();
    expect(await dataSource.query('select pg_backend_pid() as pid')).not.toEqual([{ pid }]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
