import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MESSAGING_MIGRATIONS } from '@orderflow/messaging';
import { createTestDatabase, DEMO_ADDRESS } from '@orderflow/testing';
import { OrderHistoryInRow1765100000000 } from './1765100000000-order-history-in-row.migration';
import { ORDER_MIGRATIONS } from './order-migrations';

// A database that has run the earlier migrations holds orders with history rows: the migration
// must carry every row into the order's array, and back when reverted.

describe('moving order history into the order row (migration)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const orderId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase('order_migration');
    dataSource = await new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: [...MESSAGING_MIGRATIONS, ...ORDER_MIGRATIONS],
      logging: false, // the refused update below is expected
    }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('carries each history row into the array and back; the array must end at the version', async () => {
    // undoLastMigration reverts the migration under test only while it is the last one.
    expect(ORDER_MIGRATIONS.at(-1)).toBe(OrderHistoryInRow1765100000000);
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    await seedOrderWithHistoryRows(dataSource, orderId);

    await dataSource.runMigrations({ transaction: 'each' });
    const [migrated] = await dataSource.query('select version, history from orders where id = $1', [orderId]);
    expect(migrated).toEqual({
      version: 2,
      history: [
        { status: 'PENDING', version: 1, reason: null, at: '2026-12-07T10:00:00.123Z' },
        { status: 'REJECTED', version: 2, reason: 'unknown_sku', at: '2026-12-07T10:00:01.456Z' },
      ],
    });
    await expect(dataSource.query(`update orders set version = 3 where id = $1`, [orderId])).rejects.toThrow(
      /orders_history_ends_at_version/,
    );

    await dataSource.undoLastMigration({ transaction: 'each' });
    const rows = await dataSource.query(
      `select version, status, reason, to_char(at at time zone 'UTC', 'HH24:MI:SS.MS') as at
         from order_history where order_id = $1 order by version`,
      [orderId],
    );
    expect(rows).toEqual([
      { version: 1, status: 'PENDING', reason: null, at: '10:00:00.123' },
      { version: 2, status: 'REJECTED', reason: 'unknown_sku', at: '10:00:01.456' },
    ]);
  });
});

async function seedOrderWithHistoryRows(dataSource: DataSource, orderId: string): Promise<void> {
  await dataSource.query(
    `insert into orders (id, customer_id, status, version, items, reason, payment_token, shipping_address,
                         created_at, updated_at)
     values ($1, 'cust-1', 'REJECTED', 2, '[]', 'unknown_sku', 'tok_visa', $2,
             '2026-12-07T10:00:00.123Z', '2026-12-07T10:00:01.456Z')`,
    [orderId, JSON.stringify(DEMO_ADDRESS)],
  );
  await dataSource.query(
    `insert into order_history (order_id, version, status, reason, at)
     values ($1, 1, 'PENDING', null, '2026-12-07T10:00:00.123Z'),
            ($1, 2, 'REJECTED', 'unknown_sku', '2026-12-07T10:00:01.456Z')`,
    [orderId],
  );
}
