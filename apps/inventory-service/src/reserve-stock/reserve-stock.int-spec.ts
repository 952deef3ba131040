import { randomUUID } from 'node:crypto';
import type { EventPayloads, OrderLine } from '@orderflow/contracts';
import { CommitStockHandler } from '../commit-stock/commit-stock.handler';
import { ReleaseStockHandler } from '../release-stock/release-stock.handler';
import { inventoryTestDb } from '../../test/inventory-db';
import { ReserveStockHandler } from './reserve-stock.handler';

describe('inventory reservations against Postgres', () => {
  let db: Awaited<ReturnType<typeof inventoryTestDb>>;
  const reserve = new ReserveStockHandler();
  const release = new ReleaseStockHandler();
  const commit = new CommitStockHandler();

  beforeAll(async () => {
    db = await inventoryTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  async function addProduct(sku: string, available: number, priceCents = 1000) {
    await db.dataSource.query(
      `insert into products (sku, name, price_cents, currency, available) values ($1, $1, $2, 'EUR', $3)`,
      [sku, priceCents, available],
    );
  }
  async function stock(sku: string) {
    const [row] = await db.dataSource.query('select available, reserved, sold from products where sku = $1', [
      sku,
    ]);
    return row as { available: number; reserved: number; sold: number };
  }
  const orderCreated = (items: OrderLine[], orderId = randomUUID()): EventPayloads['OrderCreated'] => ({
    orderId,
    customerId: 'cust-1',
    items,
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    createdAt: new Date().toISOString(),
  });
  const paymentFailed = (orderId: string): EventPayloads['PaymentFailed'] => ({
    orderId,
    customerId: 'cust-1',
    paymentId: randomUUID(),
    amountCents: 1,
    currency: 'EUR',
    reason: 'card_declined',
  });

  it('seeds the demo catalog on first migration', async () => {
    const rows = await db.dataSource.query(
      `select sku, available, currency from products where sku like 'SKU-%' order by sku`,
    );
    expect(rows.map((r: { sku: string }) => r.sku)).toEqual(['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5']);
    expect(
      rows.every(
        (r: { available: number; currency: string }) => r.available === 1000 && r.currency === 'EUR',
      ),
    ).toBe(true);
  });

  it('never oversells under 40 concurrent orders, even with overlapping multi-line orders', async () => {
    await addProduct('HOT-A', 10);
    await addProduct('HOT-B', 1000);
    const orders = Array.from({ length: 40 }, (_, i) =>
      orderCreated(
        i % 2 === 0
          ? [
              { sku: 'HOT-A', quantity: 1 },
              { sku: 'HOT-B', quantity: 2 },
            ]
          : [
              { sku: 'HOT-B', quantity: 1 },
              { sku: 'HOT-A', quantity: 1 },
            ],
      ),
    );
    const outcomes = await Promise.all(
      orders.map((order) => db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx))),
    );

    expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'rejected')).toHaveLength(30);
    const a = await stock('HOT-A');
    expect(a).toEqual({ available: 0, reserved: 10, sold: 0 });
    const b = await stock('HOT-B');
    expect(b.available + b.reserved).toBe(1000);
    const reserved = await db.outboxEvents('InventoryReserved');
    const heldB = reserved
      .flatMap((e) => e.items as Array<{ sku: string; quantity: number }>)
      .filter((l) => l.sku === 'HOT-B');
    expect(b.reserved).toBe(heldB.reduce((sum, l) => sum + l.quantity, 0));
    const rejected = await db.outboxEvents('InventoryRejected');
    expect(rejected).toHaveLength(30);
    expect(
      rejected.every((e) => e.reason === 'insufficient_stock' && JSON.stringify(e.skus) === '["HOT-A"]'),
    ).toBe(true);
  });

  it('prices the reservation and emits the total', async () => {
    await addProduct('PRICED-1', 5, 1999);
    await addProduct('PRICED-2', 5, 250);
    const order = orderCreated([
      { sku: 'PRICED-2', quantity: 3 },
      { sku: 'PRICED-1', quantity: 2 },
    ]);
    await db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx));
    const [event] = (await db.outboxEvents('InventoryReserved')).filter((e) => e.orderId === order.orderId);
    expect(event).toMatchObject({
      items: [
        { sku: 'PRICED-2', quantity: 3, unitPriceCents: 250 },
        { sku: 'PRICED-1', quantity: 2, unitPriceCents: 1999 },
      ],
      totalCents: 3 * 250 + 2 * 1999,
      currency: 'EUR',
    });
  });

  it('rejects an unknown SKU before looking at stock, and takes nothing', async () => {
    await addProduct('FEW', 1);
    const order = orderCreated([
      { sku: 'FEW', quantity: 5 },
      { sku: 'NOPE', quantity: 1 },
    ]);
    expect(await db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx))).toBe('rejected');
    const [event] = (await db.outboxEvents('InventoryRejected')).filter((e) => e.orderId === order.orderId);
    expect(event).toMatchObject({ reason: 'unknown_sku', skus: ['NOPE'] });
    expect(await stock('FEW')).toEqual({ available: 1, reserved: 0, sold: 0 });
  });

  it('decides an order once even when OrderCreated arrives twice at the same time', async () => {
    await addProduct('TWICE', 100);
    const order = orderCreated([{ sku: 'TWICE', quantity: 7 }]);
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx))),
    );
    expect(outcomes.sort()).toEqual(['already-decided', 'already-decided', 'reserved']);
    expect(await stock('TWICE')).toEqual({ available: 93, reserved: 7, sold: 0 });
  });

  it('releases exactly once under concurrent PaymentFailed deliveries', async () => {
    await addProduct('REL', 10);
    const order = orderCreated([{ sku: 'REL', quantity: 4 }]);
    await db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx));
    expect(await stock('REL')).toEqual({ available: 6, reserved: 4, sold: 0 });

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        db.deliver('PaymentFailed', paymentFailed(order.orderId), (e, ctx) => release.handle(e, ctx)),
      ),
    );
    expect(outcomes.filter((o) => o === 'released')).toHaveLength(1);
    expect(await stock('REL')).toEqual({ available: 10, reserved: 0, sold: 0 });
    const released = (await db.outboxEvents('InventoryReleased')).filter((e) => e.orderId === order.orderId);
    expect(released).toEqual([
      expect.objectContaining({ items: [{ sku: 'REL', quantity: 4 }], reason: 'card_declined' }),
    ]);
  });

  it('moves paid stock to sold, after which a late PaymentFailed releases nothing', async () => {
    await addProduct('SOLD', 10);
    const order = orderCreated([{ sku: 'SOLD', quantity: 3 }]);
    await db.deliver('OrderCreated', order, (e, ctx) => reserve.handle(e, ctx));
    const processed: EventPayloads['PaymentProcessed'] = {
      orderId: order.orderId,
      customerId: 'cust-1',
      paymentId: randomUUID(),
      amountCents: 3000,
      currency: 'EUR',
    };
    expect(await db.deliver('PaymentProcessed', processed, (e, ctx) => commit.handle(e, ctx))).toBe(
      'committed',
    );
    expect(await db.deliver('PaymentProcessed', processed, (e, ctx) => commit.handle(e, ctx))).toBe(
      'not-reserved',
    );
    expect(
      await db.deliver('PaymentFailed', paymentFailed(order.orderId), (e, ctx) => release.handle(e, ctx)),
    ).toBe('not-reserved');
    expect(await stock('SOLD')).toEqual({ available: 7, reserved: 0, sold: 3 });
  });
});
