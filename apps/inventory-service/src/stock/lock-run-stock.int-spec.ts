import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { EventContext, IncomingEvent, OutboxWriter } from '@orderflow/messaging';
import { testEnvelope } from '@orderflow/testing';
import { inventoryTestDb } from '../../test/inventory-db';
import { ReserveStockHandler } from '../reserve-stock/reserve-stock.handler';
import { lockRunStock } from './lock-run-stock';

/**
 * Two runs of OrderCreated (as two partitions' batches are applied, one transaction each) that
 * share SKUs in opposite orders: run 1 reserves X then Y, run 2 Y then X. Interleaved, they
 * deadlock unless each run locks its products up front.
 */
describe('locking a run of events up front (inventory, Postgres)', () => {
  let db: Awaited<ReturnType<typeof inventoryTestDb>>;
  const reserve = new ReserveStockHandler();
  const [skuX, skuY] = [`LOCK-X-${randomUUID()}`, `LOCK-Y-${randomUUID()}`];

  beforeAll(async () => {
    db = await inventoryTestDb();
    for (const sku of [skuX, skuY])
      await db.dataSource.query(
        `insert into products (sku, name, price_cents, currency, available) values ($1, $1, 100, 'EUR', 10)`,
        [sku],
      );
  });
  afterAll(async () => {
    await db?.close();
  });

  const created = (sku: string) =>
    testEnvelope('OrderCreated', {
      orderId: randomUUID(),
      customerId: 'cust-1',
      items: [{ sku, quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: {
        name: 'Ada',
        line1: '1 Main St',
        city: 'Berlin',
        postalCode: '10115',
        country: 'DE',
      },
      createdAt: new Date().toISOString(),
    });

  /** Applies `events` in one transaction; after the first, waits (≤ 1 s) for the other run to get going. */
  async function applyRun(
    events: Array<IncomingEvent<'OrderCreated'>>,
    started: Deferred,
    other: Deferred,
  ): Promise<string[]> {
    const writer = new OutboxWriter({ producer: 'inventory-service' });
    return db.dataSource.transaction(async (manager: EntityManager) => {
      await lockRunStock(manager, events);
      const outcomes: string[] = [];
      for (const [i, event] of events.entries()) {
        const ctx = new EventContext(
          event,
          { topic: 't', partition: 0, offset: String(i), attempt: 1 },
          manager,
          writer,
        );
        outcomes.push(await reserve.handle(event, ctx));
        if (i === 0) {
          started.resolve();
          await Promise.race([other.promise, new Promise((resolve) => setTimeout(resolve, 1_000))]);
        }
      }
      return outcomes;
    });
  }

  it('lets two runs sharing SKUs in opposite orders both commit, one after the other', async () => {
    const [first, second] = [deferred(), deferred()];
    const results = await Promise.allSettled([
      applyRun([created(skuX), created(skuY)], first, second),
      applyRun([created(skuY), created(skuX)], second, first),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      ['reserved', 'reserved'],
      ['reserved', 'reserved'],
    ]);
    const rows = await db.dataSource.query(
      'select sku, available, reserved from products where sku = any($1) order by sku',
      [[skuX, skuY]],
    );
    expect(rows).toEqual([
      { sku: skuX, available: 8, reserved: 2 },
      { sku: skuY, available: 8, reserved: 2 },
    ]);
  });
});

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
