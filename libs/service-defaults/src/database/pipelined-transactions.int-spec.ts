import { Client } from 'pg';
import { DataSource, EntitySubscriberInterface } from 'typeorm';
import { createTestDatabase, TcpProxy } from '@orderflow/testing';
import { configurePool, dataSourceOptions } from './database.module';
import { transactionWithLastWrites } from './pipelined-transactions';

/**
 * Against real Postgres, behind a proxy that holds every chunk 30 ms in each direction, so that
 * what the client writes without waiting for an answer arrives as one turn, and turns can be
 * counted: a turn is the client writing again after Postgres answered.
 */
describe('pipelined transaction boundaries (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let dataSource: DataSource;
  let turns = 0;
  const events: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('pipelined');
    const target = new URL(db.url);
    let clientSpoke = false;
    proxy = new TcpProxy('postgres', 0, Number(target.port || 5432), target.hostname, () => ({
      label: undefined,
      onChunk: (_chunk, toServer) => {
        if (toServer && !clientSpoke) turns++;
        clientSpoke = toServer;
        return undefined;
      },
      close: () => undefined,
    }));
    await proxy.start();
    target.port = String(proxy.listenPort);
    dataSource = await new DataSource(
      dataSourceOptions(
        { DATABASE_URL: target.toString() },
        { name: 'pipelined-int' },
        { entities: [], migrations: [], poolSize: 1 },
      ),
    ).initialize();
    configurePool(dataSource);
    dataSource.subscribers.push(recorder(events));
    await dataSource.query('create table notes (id int primary key, body text not null)');
    proxy.setLatency(30);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await proxy?.close();
    await db?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('truncate notes');
    turns = 0;
    events.length = 0;
  });

  /** The notes as another connection sees them: only what committed. */
  async function committedNotes(): Promise<number[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: number }>('select id from notes order by id');
      return rows.map((row) => row.id);
    } finally {
      await client.end();
    }
  }

  it('sends START TRANSACTION with the first statement: one turn fewer, same transaction', async () => {
    await dataSource.transaction(async (manager) => {
      await manager.query('insert into notes values ($1, $2)', [1, 'a']);
      await manager.query('insert into notes values ($1, $2)', [2, 'b']);
    });

    expect(turns).toBe(3); // [START + insert 1], [insert 2], [COMMIT]
    expect(await committedNotes()).toEqual([1, 2]);
  });

  it('still opens the transaction: a failure rolls back the statement that carried the start', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query('insert into notes values ($1, $2)', [1, 'a']);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');

    expect(await committedNotes()).toEqual([]);
    expect(events).toEqual(['rollback']);
  });

  it('writes the last writes with the COMMIT: two turns for four statements', async () => {
    const insert = (id: number, note: string) => ({
      sql: 'insert into notes values ($1, $2)',
      params: [id, note],
    });
    const result = await transactionWithLastWrites(dataSource, async (manager) => {
      await manager.query('insert into notes values ($1, $2)', [1, 'a']);
      return { result: 'done', lastWrites: [insert(2, 'b'), insert(3, 'c')] };
    });

    expect(result).toBe('done');
    expect(turns).toBe(2); // [START + insert 1], [insert 2 + insert 3 + COMMIT]
    expect(await committedNotes()).toEqual([1, 2, 3]);
    expect(events).toEqual(['commit']);
  });

  it('rolls everything back when a last write fails, and rejects with its error, never as committed', async () => {
    await dataSource.query('insert into notes values (3, $1)', ['already there']);
    events.length = 0;
    const insert = (id: number, note: string) => ({
      sql: 'insert into notes values ($1, $2)',
      params: [id, note],
    });

    await expect(
      transactionWithLastWrites(dataSource, async (manager) => {
        await manager.query('insert into notes values ($1, $2)', [1, 'a']);
        return { result: 'done', lastWrites: [insert(2, 'b'), insert(3, 'c'), insert(4, 'd')] };
      }),
    ).rejects.toMatchObject({ code: '23505' }); // unique_violation of the failed write, not of COMMIT

    expect(await committedNotes()).toEqual([3]);
    expect(events).toEqual(['rollback']);
  });

  it('does not hand a start that nothing followed to the next borrower of the connection', async () => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.release(); // abandoned without COMMIT or ROLLBACK

    await dataSource.query('insert into notes values ($1, $2)', [3, 'c']);

    expect(await committedNotes()).toEqual([3]);
  });
});

/** Records the transaction outcomes TypeORM broadcasts to subscribers (as AfterCommit relies on). */
function recorder(events: string[]): EntitySubscriberInterface {
  return {
    afterTransactionCommit: () => void events.push('commit'),
    afterTransactionRollback: () => void events.push('rollback'),
  };
}
