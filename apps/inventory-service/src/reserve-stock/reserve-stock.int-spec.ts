import { randomUUID } from 'node:crypto';
import { DEMO_ADDRESS } from '@orderflow/testing';
import type { EventPayloads, OrderLine } from '@orderflow/contracts';
import { BatchEventContext, IncomingEvent, PermanentEventError } from '@orderflow/messaging';
import { PaymentEvent, SettleReservationsHandler } from '../settle-reservation/settle-reservations.handler';
import { envelope, inventoryTestDb } from '../../test/inventory-db';
import { ReserveStockHandler } from './reserve-stock.handler';

describe('inventory reservations against Postgres', () => {
  let db: Awaited<ReturnType<typeof inventoryTestDb>>;
  const reserve = new ReserveStockHandler();
  const settle = new SettleReservationsHandler();

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
  async function reservation(orderId: string) {
    const [row] = await db.dataSource.query('select status, reason from reservations where order_id = $1', [
      orderId,
    ]);
    return row as { status: string; reason: string | null } | undefined;
  }
  const orderCreated = (items: OrderLine[], orderId = randomUUID()): EventPayloads['OrderCreated'] => ({
    orderId,
    customerId: 'cust-1',
    items,
    paymentToken: 'tok_visa',
    shippingAddress: DEMO_ADDRESS,
    createdAt: new Date().toISOString(),
  });
  const paymentFailed = (orderId: string): IncomingEvent<'PaymentFailed'> =>
    envelope('PaymentFailed', {
      orderId,
      customerId: 'cust-1',
      paymentId: randomUUID(),
      amountCents: 1,
      currency: 'EUR',
      reason: 'card_declined',
    });
  const paymentProcessed = (orderId: string): IncomingEvent<'PaymentProcessed'> =>
    envelope('PaymentProcessed', {
      orderId,
      customerId: 'cust-1',
      paymentId: randomUUID(),
      amountCents: 3000,
      currency: 'EUR',
    });

  /** One consumer run of OrderCreated events, in one transaction. */
  const reserveRun = (orders: Array<EventPayloads['OrderCreated']>) => {
    const events = orders.map((order) => envelope('OrderCreated', order));
    return db.deliverBatch(events, (_delivered, ctx) => reserve.handle(events, ctx));
  };
  /** One consumer run of payment events, in one transaction. */
  const settleRun = (events: PaymentEvent[]) =>
    db.deliverBatch(events, (_delivered, ctx) => settle.handle(events, ctx));
  const reserveOne = async (order: EventPayloads['OrderCreated']) => (await reserveRun([order]))[0];
  const settleOne = async (event: PaymentEvent) => (await settleRun([event]))[0];

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
    const outcomes = await Promise.all(orders.map(reserveOne));

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

  it('never oversells under 8 concurrent runs of 5 orders sharing SKUs in different orders', async () => {
    await addProduct('RUN-A', 12);
    await addProduct('RUN-B', 1000);
    await addProduct('RUN-C', 1000);
    // Every order takes one RUN-A (12 for 40 orders); the lines rotate, so orders list the SKUs differently.
    const orders = Array.from({ length: 40 }, (_, i) => {
      const lines = [
        { sku: 'RUN-A', quantity: 1 },
        { sku: 'RUN-B', quantity: 1 + (i % 4) },
        { sku: 'RUN-C', quantity: 2 },
      ];
      return orderCreated([...lines.slice(i % 3), ...lines.slice(0, i % 3)]);
    });
    const runs = Array.from({ length: 8 }, (_, r) => orders.slice(r * 5, r * 5 + 5));
    const outcomes = (await Promise.all(runs.map(reserveRun))).flat();

    expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(12);
    expect(outcomes.filter((o) => o === 'rejected')).toHaveLength(28);
    expect(await stock('RUN-A')).toEqual({ available: 0, reserved: 12, sold: 0 });
    const reservedLines = (await db.outboxEvents('InventoryReserved'))
      .filter((e) => orders.some((order) => order.orderId === e.orderId))
      .flatMap((e) => e.items as Array<{ sku: string; quantity: number }>);
    for (const sku of ['RUN-B', 'RUN-C']) {
      const held = reservedLines.filter((l) => l.sku === sku).reduce((sum, l) => sum + l.quantity, 0);
      expect(await stock(sku)).toEqual({ available: 1000 - held, reserved: held, sold: 0 });
    }
    const statuses: Array<{ status: string; count: number }> = await db.dataSource.query(
      `select status, count(*)::int as count from reservations where order_id = any($1) group by status order by status`,
      [orders.map((order) => order.orderId)],
    );
    expect(statuses).toEqual([
      { status: 'REJECTED', count: 28 },
      { status: 'RESERVED', count: 12 },
    ]);
  });

  it('gives the last units to the first order of a run and rejects the next', async () => {
    await addProduct('LAST', 3);
    const first = orderCreated([{ sku: 'LAST', quantity: 2 }]);
    const second = orderCreated([{ sku: 'LAST', quantity: 2 }]);
    const third = orderCreated([{ sku: 'LAST', quantity: 1 }]);

    expect(await reserveRun([first, second, third])).toEqual(['reserved', 'rejected', 'reserved']);
    expect(await stock('LAST')).toEqual({ available: 0, reserved: 3, sold: 0 });
    const [rejected] = (await db.outboxEvents('InventoryRejected')).filter(
      (e) => e.orderId === second.orderId,
    );
    expect(rejected).toMatchObject({ reason: 'insufficient_stock', skus: ['LAST'] });
    const reservedOrders = (await db.outboxEvents('InventoryReserved')).map((e) => e.orderId);
    expect(reservedOrders).toEqual(expect.arrayContaining([first.orderId, third.orderId]));
    expect(reservedOrders).not.toContain(second.orderId);
  });

  it('prices the reservation and emits the total', async () => {
    await addProduct('PRICED-1', 5, 1999);
    await addProduct('PRICED-2', 5, 250);
    const order = orderCreated([
      { sku: 'PRICED-2', quantity: 3 },
      { sku: 'PRICED-1', quantity: 2 },
    ]);
    await reserveOne(order);
    const [event] = (await db.outboxEvents('InventoryReserved')).filter((e) => e.orderId === order.orderId);
    expect(event).toMatchObject({
      items: [
        { sku: 'PRICED-2', quantity: 3, unitPriceCents: 250 },
        { sku: 'PRICED-1', quantity: 2, unitPriceCents: 1999 },
      ],
      totalCents: 3 * 250 + 2 * 1999,
      currency: 'EUR',
    });
    const [row] = await db.dataSource.query(
      'select status, total_cents::int as total, currency from reservations where order_id = $1',
      [order.orderId],
    );
    expect(row).toEqual({ status: 'RESERVED', total: 3 * 250 + 2 * 1999, currency: 'EUR' });
  });

  it('rejects an unknown SKU before looking at stock, and takes nothing', async () => {
    await addProduct('FEW', 1);
    const order = orderCreated([
      { sku: 'FEW', quantity: 5 },
      { sku: 'NOPE', quantity: 1 },
    ]);
    expect(await reserveOne(order)).toBe('rejected');
    const [event] = (await db.outboxEvents('InventoryRejected')).filter((e) => e.orderId === order.orderId);
    expect(event).toMatchObject({ reason: 'unknown_sku', skus: ['NOPE'] });
    expect(await stock('FEW')).toEqual({ available: 1, reserved: 0, sold: 0 });
    expect(await reservation(order.orderId)).toEqual({ status: 'REJECTED', reason: 'unknown_sku' });
  });

  it('decides an order once even when OrderCreated arrives twice at the same time', async () => {
    await addProduct('TWICE', 100);
    const order = orderCreated([{ sku: 'TWICE', quantity: 7 }]);
    const outcomes = await Promise.all([1, 2, 3].map(() => reserveOne(order)));
    expect(outcomes.sort()).toEqual(['already-decided', 'already-decided', 'reserved']);
    expect(await stock('TWICE')).toEqual({ available: 93, reserved: 7, sold: 0 });
  });

  it('decides an order once when its OrderCreated is twice in one run', async () => {
    await addProduct('TWICE-RUN', 100);
    const order = orderCreated([{ sku: 'TWICE-RUN', quantity: 7 }]);
    expect(await reserveRun([order, order])).toEqual(['reserved', 'already-decided']);
    expect(await stock('TWICE-RUN')).toEqual({ available: 93, reserved: 7, sold: 0 });
  });

  it('refuses an order listing a SKU twice, rolling back the whole run', async () => {
    await addProduct('DUP', 10);
    const fine = orderCreated([{ sku: 'DUP', quantity: 1 }]);
    const repeated = orderCreated([
      { sku: 'DUP', quantity: 1 },
      { sku: 'DUP', quantity: 2 },
    ]);
    await expect(reserveRun([fine, repeated])).rejects.toThrow(PermanentEventError);
    expect(await reservation(fine.orderId)).toBeUndefined();
    expect(await stock('DUP')).toEqual({ available: 10, reserved: 0, sold: 0 });
  });

  it('releases exactly once under concurrent PaymentFailed deliveries', async () => {
    await addProduct('REL', 10);
    const order = orderCreated([{ sku: 'REL', quantity: 4 }]);
    await reserveOne(order);
    expect(await stock('REL')).toEqual({ available: 6, reserved: 4, sold: 0 });

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => settleOne(paymentFailed(order.orderId))),
    );
    expect(outcomes.filter((o) => o === 'released')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'not-reserved')).toHaveLength(7);
    expect(await stock('REL')).toEqual({ available: 10, reserved: 0, sold: 0 });
    const released = (await db.outboxEvents('InventoryReleased')).filter((e) => e.orderId === order.orderId);
    expect(released).toEqual([
      expect.objectContaining({ items: [{ sku: 'REL', quantity: 4 }], reason: 'card_declined' }),
    ]);
    expect(await reservation(order.orderId)).toEqual({ status: 'RELEASED', reason: 'card_declined' });
  });

  it('moves paid stock to sold, after which a late PaymentFailed releases nothing', async () => {
    await addProduct('SOLD', 10);
    const order = orderCreated([{ sku: 'SOLD', quantity: 3 }]);
    await reserveOne(order);
    const processed = paymentProcessed(order.orderId);
    expect(await settleOne(processed)).toBe('committed');
    expect(await settleOne(processed)).toBe('not-reserved');
    expect(await settleOne(paymentFailed(order.orderId))).toBe('not-reserved');
    expect(await stock('SOLD')).toEqual({ available: 7, reserved: 0, sold: 3 });
    expect(await reservation(order.orderId)).toEqual({ status: 'COMMITTED', reason: null });
    const released = (await db.outboxEvents('InventoryReleased')).filter((e) => e.orderId === order.orderId);
    expect(released).toEqual([]);
  });

  it('settles a run of PaymentProcessed and PaymentFailed for orders sharing a SKU', async () => {
    await addProduct('MIX-SHARED', 10);
    await addProduct('MIX-OTHER', 10);
    const paid = orderCreated([{ sku: 'MIX-SHARED', quantity: 3 }]);
    const declined = orderCreated([
      { sku: 'MIX-SHARED', quantity: 2 },
      { sku: 'MIX-OTHER', quantity: 1 },
    ]);
    expect(await reserveRun([paid, declined])).toEqual(['reserved', 'reserved']);
    expect(await stock('MIX-SHARED')).toEqual({ available: 5, reserved: 5, sold: 0 });

    expect(await settleRun([paymentProcessed(paid.orderId), paymentFailed(declined.orderId)])).toEqual([
      'committed',
      'released',
    ]);
    expect(await stock('MIX-SHARED')).toEqual({ available: 7, reserved: 0, sold: 3 });
    expect(await stock('MIX-OTHER')).toEqual({ available: 10, reserved: 0, sold: 0 });
    const released = (await db.outboxEvents('InventoryReleased')).filter((e) =>
      [paid.orderId, declined.orderId].includes(e.orderId as string),
    );
    expect(released).toEqual([
      {
        orderId: declined.orderId,
        customerId: 'cust-1',
        reservationId: expect.any(String),
        items: [
          { sku: 'MIX-OTHER', quantity: 1 },
          { sku: 'MIX-SHARED', quantity: 2 },
        ],
        reason: 'card_declined',
      },
    ]);
  });

  it('lets only the first settlement of an order in a run act', async () => {
    await addProduct('FIRST-WINS', 20);
    const failedTwice = orderCreated([{ sku: 'FIRST-WINS', quantity: 4 }]);
    const paidThenFailed = orderCreated([{ sku: 'FIRST-WINS', quantity: 5 }]);
    const untouched = orderCreated([{ sku: 'FIRST-WINS', quantity: 6 }]);
    await reserveRun([failedTwice, paidThenFailed, untouched]);
    expect(await stock('FIRST-WINS')).toEqual({ available: 5, reserved: 15, sold: 0 });

    const outcomes = await settleRun([
      paymentFailed(failedTwice.orderId),
      paymentProcessed(paidThenFailed.orderId),
      paymentFailed(failedTwice.orderId),
      paymentFailed(paidThenFailed.orderId),
    ]);
    expect(outcomes).toEqual(['released', 'committed', 'not-reserved', 'not-reserved']);
    // Released 4 once, sold 5; the untouched order still holds its 6.
    expect(await stock('FIRST-WINS')).toEqual({ available: 9, reserved: 6, sold: 5 });
    const released = (await db.outboxEvents('InventoryReleased')).filter((e) =>
      [failedTwice.orderId, paidThenFailed.orderId].includes(e.orderId as string),
    );
    expect(released.map((e) => e.orderId)).toEqual([failedTwice.orderId]);
    expect(await reservation(paidThenFailed.orderId)).toEqual({ status: 'COMMITTED', reason: null });
  });

  it('costs the same few statements for a run of 1 order or of 20', async () => {
    await addProduct('TRIPS-A', 1000);
    await addProduct('TRIPS-B', 1000);
    const order = (i: number) =>
      envelope(
        'OrderCreated',
        orderCreated(
          i % 2
            ? [{ sku: 'TRIPS-A', quantity: 1 }]
            : [
                { sku: 'TRIPS-B', quantity: 1 },
                { sku: 'TRIPS-A', quantity: 2 },
              ],
        ),
      );
    const one = [order(0)];
    const twenty = Array.from({ length: 20 }, (_, i) => order(i));
    const reserving = (events: Array<IncomingEvent<'OrderCreated'>>, ctx: BatchEventContext) =>
      reserve.handle(events, ctx);
    // Claim, lock, and the decisions' write, which goes with the COMMIT: two round trips of its own.
    expect(await db.countStatements(one, reserving)).toMatchObject({ statements: 3, atCommit: 1 });
    expect(await db.countStatements(twenty, reserving)).toMatchObject({ statements: 3, atCommit: 1 });

    const settling = (events: PaymentEvent[], ctx: BatchEventContext) => settle.handle(events, ctx);
    const payments = twenty.map((e, i) =>
      i % 2 ? paymentProcessed(e.payload.orderId) : paymentFailed(e.payload.orderId),
    );
    expect((await db.countStatements(payments.slice(0, 1), settling)).statements).toBe(2);
    expect((await db.countStatements(payments, settling)).statements).toBe(2);

    // A run that releases nothing needs no answer from the stock move: it goes with the COMMIT.
    await addProduct('TRIPS-C', 10);
    const paidOnly = [
      orderCreated([{ sku: 'TRIPS-C', quantity: 2 }]),
      orderCreated([{ sku: 'TRIPS-C', quantity: 2 }]),
    ];
    expect(await reserveRun(paidOnly)).toEqual(['reserved', 'reserved']);
    const processed = paidOnly.map((order) => paymentProcessed(order.orderId));
    expect(await db.countStatements(processed, settling)).toMatchObject({ statements: 2, atCommit: 1 });
    expect(await stock('TRIPS-C')).toEqual({ available: 6, reserved: 0, sold: 4 });
  });
});
