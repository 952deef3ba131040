import { randomUUID } from 'node:crypto';
import { DEMO_ADDRESS } from '@orderflow/testing';
import type { BatchEventContext, IncomingEvent } from '@orderflow/messaging';
import {
  ChargeReservedOrdersHandler,
  InventoryDecision,
} from '../charge-reserved-order/charge-reserved-orders.handler';
import { RecordPaymentIntentsHandler } from '../record-payment-intent/record-payment-intents.handler';
import { envelope, paymentTestDb } from '../../test/payment-db';
import { applyChange, blankIntent, Intent, IntentChange } from './intent-change';
import { upsertIntents } from './intent-run-store';
import { PaymentCharger } from './payment-charger';
import { PaymentProvider } from './payment-provider';

describe('payment-service charging against Postgres', () => {
  let db: Awaited<ReturnType<typeof paymentTestDb>>;
  // A little provider latency widens the window in which concurrent deliveries could double-charge.
  const charger = new PaymentCharger(new PaymentProvider({ PAYMENT_LATENCY_MS: 5 }));
  const onOrderCreated = new RecordPaymentIntentsHandler(charger);
  const onInventory = new ChargeReservedOrdersHandler(charger);

  beforeAll(async () => {
    db = await paymentTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  const orderCreated = (orderId: string, paymentToken = 'tok_visa'): IncomingEvent<'OrderCreated'> =>
    envelope('OrderCreated', {
      orderId,
      customerId: 'cust-1',
      items: [{ sku: 'SKU-1', quantity: 2 }],
      paymentToken,
      shippingAddress: DEMO_ADDRESS,
      createdAt: new Date().toISOString(),
    });
  const reserved = (orderId: string, totalCents = 3998): IncomingEvent<'InventoryReserved'> =>
    envelope('InventoryReserved', {
      orderId,
      customerId: 'cust-1',
      reservationId: randomUUID(),
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: totalCents / 2 }],
      totalCents,
      currency: 'EUR',
    });
  const rejected = (orderId: string): IncomingEvent<'InventoryRejected'> =>
    envelope('InventoryRejected', {
      orderId,
      customerId: 'cust-1',
      reason: 'insufficient_stock',
      skus: ['SKU-1'],
    });

  /** One consumer run of the orders topic, in one transaction. */
  const createdRun = (events: Array<IncomingEvent<'OrderCreated'>>) =>
    db.deliverBatch(events, (_delivered, ctx) => onOrderCreated.handle(events, ctx));
  /** One consumer run of the inventory topic, in one transaction. */
  const inventoryRun = (events: InventoryDecision[]) =>
    db.deliverBatch(events, (_delivered, ctx) => onInventory.handle(events, ctx));
  const deliverCreated = async (event: IncomingEvent<'OrderCreated'>) => (await createdRun([event]))[0];
  const deliverInventory = async (event: InventoryDecision) => (await inventoryRun([event]))[0];

  const paymentsOf = async (orderId: string) =>
    db.dataSource.query('select status, amount_cents, decline_code from payments where order_id = $1', [
      orderId,
    ]);
  const intentOf = async (orderId: string) =>
    (
      await db.dataSource.query(
        'select status, has_token, payment_token, amount_cents from payment_intents where order_id = $1',
        [orderId],
      )
    )[0];
  const eventsOf = async (orderId: string) => [
    ...(await db.outboxEvents('PaymentProcessed')).filter((e) => e.orderId === orderId),
    ...(await db.outboxEvents('PaymentFailed')).filter((e) => e.orderId === orderId),
  ];
  const newOrders = (count: number) => Array.from({ length: count }, (): string => randomUUID());

  it('charges when the second half arrives, whichever it is', async () => {
    const tokenFirst = randomUUID();
    expect(await deliverCreated(orderCreated(tokenFirst))).toBe('waiting');
    expect(await deliverInventory(reserved(tokenFirst))).toBe('processed');

    const totalFirst = randomUUID();
    expect(await deliverInventory(reserved(totalFirst))).toBe('waiting');
    expect(await deliverCreated(orderCreated(totalFirst))).toBe('processed');

    for (const orderId of [tokenFirst, totalFirst]) {
      expect(await paymentsOf(orderId)).toEqual([
        { status: 'PROCESSED', amount_cents: '3998', decline_code: null },
      ]);
      expect(await eventsOf(orderId)).toEqual([
        expect.objectContaining({ amountCents: 3998, currency: 'EUR' }),
      ]);
    }
    expect(await intentOf(tokenFirst)).toEqual({
      status: 'CHARGED',
      has_token: true,
      payment_token: null,
      amount_cents: '3998',
    });
  });

  it('charges each order exactly once when both events and their redeliveries race', async () => {
    const orders = newOrders(25);
    await Promise.all(
      orders.flatMap((orderId) => [
        deliverCreated(orderCreated(orderId)),
        deliverInventory(reserved(orderId)),
        deliverCreated(orderCreated(orderId)),
        deliverInventory(reserved(orderId)),
      ]),
    );
    const [{ count }] = await db.dataSource.query(
      'select count(*)::int as count from payments where order_id = any($1)',
      [orders],
    );
    expect(count).toBe(25);
    const processed = (await db.outboxEvents('PaymentProcessed')).filter((e) =>
      orders.includes(e.orderId as string),
    );
    expect(processed).toHaveLength(25);
    expect(new Set(processed.map((e) => e.orderId)).size).toBe(25);
  });

  it('charges each order exactly once when overlapping runs of both topics race', async () => {
    // Runs of 50 orders, each redelivered reversed: their upserts could lock the same rows in
    // opposite orders (a deadlock) if the rows were not locked in order id order.
    const orders = newOrders(200);
    const groups = Array.from({ length: 4 }, (_, g) => orders.slice(g * 50, g * 50 + 50));
    const runs = groups.flatMap((group) => [
      () => createdRun(group.map((orderId) => orderCreated(orderId))),
      () => createdRun([...group].reverse().map((orderId) => orderCreated(orderId))),
      () => inventoryRun(group.map((orderId) => reserved(orderId))),
      () => inventoryRun([...group].reverse().map((orderId) => reserved(orderId))),
    ]);
    const outcomes = (await Promise.all(runs.map((run) => run()))).flat();

    expect(outcomes.filter((o) => o === 'processed')).toHaveLength(200);
    const processed = (await db.outboxEvents('PaymentProcessed')).filter((e) =>
      orders.includes(e.orderId as string),
    );
    expect(processed).toHaveLength(200);
    expect(new Set(processed.map((e) => e.orderId)).size).toBe(200);
    const [{ count }] = await db.dataSource.query(
      'select count(*)::int as count from payments where order_id = any($1)',
      [orders],
    );
    expect(count).toBe(200);
  });

  it('publishes PaymentFailed with the decline code', async () => {
    const declined = randomUUID();
    await deliverCreated(orderCreated(declined, 'tok_declined'));
    expect(await deliverInventory(reserved(declined))).toBe('failed');
    expect(await eventsOf(declined)).toEqual([
      expect.objectContaining({ reason: 'card_declined', amountCents: 3998 }),
    ]);

    const tooMuch = randomUUID();
    await deliverCreated(orderCreated(tooMuch));
    await deliverInventory(reserved(tooMuch, 2_000_000));
    expect(await paymentsOf(tooMuch)).toEqual([
      { status: 'FAILED', amount_cents: '2000000', decline_code: 'amount_limit_exceeded' },
    ]);
  });

  it('never charges a rejected order, even when OrderCreated comes after the rejection', async () => {
    const orderId = randomUUID();
    expect(await deliverInventory(rejected(orderId))).toBe('dropped');
    expect(await deliverCreated(orderCreated(orderId))).toBe('not-open');
    expect(await paymentsOf(orderId)).toEqual([]);
    expect(await intentOf(orderId)).toEqual({
      status: 'DROPPED',
      has_token: true,
      payment_token: null,
      amount_cents: null,
    });
  });

  it('does not charge again, nor publish, an order that already has a payment', async () => {
    const [paidBehindItsBack, fine] = newOrders(2);
    await createdRun([orderCreated(paidBehindItsBack), orderCreated(fine)]);
    await db.dataSource.query(
      `insert into payments (id, order_id, customer_id, status, amount_cents, currency)
       values ($1, $2, 'cust-1', 'PROCESSED', 1, 'EUR')`,
      [randomUUID(), paidBehindItsBack],
    );

    expect(await inventoryRun([reserved(paidBehindItsBack), reserved(fine)])).toEqual([
      'already-charged',
      'processed',
    ]);
    expect(await paymentsOf(paidBehindItsBack)).toEqual([
      { status: 'PROCESSED', amount_cents: '1', decline_code: null },
    ]);
    expect(await eventsOf(paidBehindItsBack)).toEqual([]);
    // Not marked CHARGED by a charge that did not happen.
    expect(await intentOf(paidBehindItsBack)).toEqual({
      status: 'OPEN',
      has_token: true,
      payment_token: 'tok_visa',
      amount_cents: '3998',
    });
    expect(await eventsOf(fine)).toHaveLength(1);
  });

  it('charges, in one run of reservations, only the orders whose token is known', async () => {
    const [withToken1, withoutToken1, withToken2, withoutToken2] = newOrders(4);
    await createdRun([orderCreated(withToken1), orderCreated(withToken2)]);

    const run = [
      reserved(withToken1),
      reserved(withoutToken1),
      reserved(withToken2, 1000),
      reserved(withoutToken2),
    ];
    expect(await inventoryRun(run)).toEqual(['processed', 'waiting', 'processed', 'waiting']);
    // Each caused by its own order's event of the run.
    const causes = await db.dataSource.query(
      `select payload->>'orderId' as order_id, headers->>'causation-id' as causation_id
         from messaging_outbox_events where event_type = 'PaymentProcessed' and payload->>'orderId' = any($1)
        order by id, position`,
      [[withToken1, withToken2]],
    );
    expect(causes).toEqual([
      { order_id: withToken1, causation_id: run[0].eventId },
      { order_id: withToken2, causation_id: run[2].eventId },
    ]);
    // Published in run order, each with its own order's payment.
    const charged = (await db.outboxEvents('PaymentProcessed')).filter((e) =>
      [withToken1, withToken2].includes(e.orderId as string),
    );
    expect(charged).toEqual([
      expect.objectContaining({ orderId: withToken1, amountCents: 3998 }),
      expect.objectContaining({ orderId: withToken2, amountCents: 1000 }),
    ]);
    for (const waiting of [withoutToken1, withoutToken2]) {
      expect(await paymentsOf(waiting)).toEqual([]);
      expect(await intentOf(waiting)).toEqual({
        status: 'OPEN',
        has_token: false,
        payment_token: null,
        amount_cents: '3998',
      });
    }

    expect(await createdRun([orderCreated(withoutToken2), orderCreated(withoutToken1)])).toEqual([
      'processed',
      'processed',
    ]);
    for (const orderId of [withToken1, withoutToken1, withToken2, withoutToken2]) {
      expect(await eventsOf(orderId)).toHaveLength(1);
      expect(await intentOf(orderId)).toMatchObject({ status: 'CHARGED', payment_token: null });
    }
  });

  it("applies an order's repeated inventory events within one run in order", async () => {
    const [reservedTwice, reservedThenRejected, waitingThenRejected, rejectedThenReserved] = newOrders(4);
    await createdRun([
      orderCreated(reservedTwice),
      orderCreated(reservedThenRejected),
      orderCreated(rejectedThenReserved),
    ]);

    expect(
      await inventoryRun([
        reserved(reservedTwice, 1000),
        reserved(reservedThenRejected),
        rejected(waitingThenRejected),
        reserved(reservedTwice, 2000),
        rejected(reservedThenRejected),
        rejected(rejectedThenReserved),
        reserved(rejectedThenReserved),
      ]),
    ).toEqual(['processed', 'processed', 'dropped', 'not-open', 'dropped', 'dropped', 'not-open']);

    expect(await paymentsOf(reservedTwice)).toEqual([
      { status: 'PROCESSED', amount_cents: '1000', decline_code: null },
    ]);
    expect(await eventsOf(reservedTwice)).toEqual([expect.objectContaining({ amountCents: 1000 })]);
    // Charged before the rejection: it stays CHARGED, with one payment.
    expect(await intentOf(reservedThenRejected)).toMatchObject({ status: 'CHARGED', payment_token: null });
    expect(await paymentsOf(reservedThenRejected)).toHaveLength(1);
    expect(await paymentsOf(rejectedThenReserved)).toEqual([]);
    expect(await intentOf(rejectedThenReserved)).toEqual({
      status: 'DROPPED',
      has_token: true,
      payment_token: null,
      amount_cents: '3998',
    });

    // Reserved then rejected before the token arrived: dropped, and the late OrderCreated changes nothing.
    const waitingThenDropped = randomUUID();
    expect(await inventoryRun([reserved(waitingThenDropped), rejected(waitingThenDropped)])).toEqual([
      'waiting',
      'dropped',
    ]);
    expect(await deliverCreated(orderCreated(waitingThenDropped))).toBe('not-open');
    expect(await paymentsOf(waitingThenDropped)).toEqual([]);
    expect(await intentOf(waitingThenDropped)).toEqual({
      status: 'DROPPED',
      has_token: true,
      payment_token: null,
      amount_cents: '3998',
    });
    expect(await eventsOf(waitingThenDropped)).toEqual([]);
  });

  it('charges the token that made an order ready when its OrderCreated is twice in one run', async () => {
    const ready = randomUUID();
    await deliverInventory(reserved(ready));
    // The first token charges; the second arrives on a CHARGED intent and is not kept.
    expect(await createdRun([orderCreated(ready, 'tok_declined'), orderCreated(ready, 'tok_visa')])).toEqual([
      'failed',
      'not-open',
    ]);
    expect(await paymentsOf(ready)).toEqual([
      { status: 'FAILED', amount_cents: '3998', decline_code: 'card_declined' },
    ]);
    expect(await intentOf(ready)).toMatchObject({ status: 'CHARGED', payment_token: null });

    // Not ready yet: the last token wins and is the one charged later.
    const waiting = randomUUID();
    expect(
      await createdRun([orderCreated(waiting, 'tok_declined'), orderCreated(waiting, 'tok_visa')]),
    ).toEqual(['waiting', 'waiting']);
    expect(await intentOf(waiting)).toMatchObject({ status: 'OPEN', payment_token: 'tok_visa' });
    expect(await deliverInventory(reserved(waiting))).toBe('processed');
    expect(await paymentsOf(waiting)).toEqual([
      { status: 'PROCESSED', amount_cents: '3998', decline_code: null },
    ]);
  });

  it('records a declined token among approved ones in one run with its own outcome', async () => {
    const tokens = ['tok_visa', 'tok_declined', 'tok_mastercard', 'tok_insufficient_funds', 'tok_bogus'];
    const orders = newOrders(tokens.length);
    await inventoryRun(orders.map((orderId) => reserved(orderId)));

    expect(await createdRun(orders.map((orderId, i) => orderCreated(orderId, tokens[i])))).toEqual([
      'processed',
      'failed',
      'processed',
      'failed',
      'failed',
    ]);
    const declineCodes = await Promise.all(
      orders.map(async (orderId) =>
        (await paymentsOf(orderId)).map((p: { decline_code: string }) => p.decline_code),
      ),
    );
    expect(declineCodes).toEqual([
      [null],
      ['card_declined'],
      [null],
      ['insufficient_funds'],
      ['invalid_token'],
    ]);
    const failed = (await db.outboxEvents('PaymentFailed')).filter((e) =>
      orders.includes(e.orderId as string),
    );
    expect(failed.map((e) => [e.orderId, e.reason])).toEqual([
      [orders[1], 'card_declined'],
      [orders[3], 'insufficient_funds'],
      [orders[4], 'invalid_token'],
    ]);
    const processed = (await db.outboxEvents('PaymentProcessed')).filter((e) =>
      orders.includes(e.orderId as string),
    );
    expect(processed.map((e) => e.orderId)).toEqual([orders[0], orders[2]]);
  });

  it('costs the same statements for a run of 1 event or of 20', async () => {
    const orders = newOrders(41);
    const [toCharge, toReserve] = [orders.slice(0, 20), orders.slice(20)];
    await inventoryRun(toCharge.map((orderId) => reserved(orderId)));
    await createdRun(toReserve.map((orderId) => orderCreated(orderId)));

    const recording = (events: Array<IncomingEvent<'OrderCreated'>>, ctx: BatchEventContext) =>
      onOrderCreated.handle(events, ctx);
    const created = toCharge.map((orderId) => orderCreated(orderId));
    // Upsert, then payments and intents; the 20 also hold a repeat, applied in memory.
    expect(await db.countStatements(created.slice(0, 1), recording)).toEqual({
      statements: 2,
      atCommit: 0,
      outcomes: ['processed'],
    });
    const twenty = [...created.slice(1), orderCreated(toCharge[1])];
    expect(await db.countStatements(twenty, recording)).toEqual({
      statements: 2,
      atCommit: 0,
      outcomes: [...Array(19).fill('processed'), 'not-open'],
    });

    const deciding = (events: InventoryDecision[], ctx: BatchEventContext) => onInventory.handle(events, ctx);
    const decisions = toReserve.map((orderId, i) => (i % 3 === 2 ? rejected(orderId) : reserved(orderId)));
    expect((await db.countStatements(decisions.slice(0, 1), deciding)).statements).toBe(2);
    const { statements, outcomes } = await db.countStatements(decisions.slice(1), deciding);
    expect(statements).toBe(2);
    expect(outcomes).toEqual(
      decisions.slice(1).map((event) => (event.type === 'InventoryRejected' ? 'dropped' : 'processed')),
    );

    // A run that charges nothing and changes nothing after its upsert: the upsert alone.
    const waiting = newOrders(20).map((orderId) => orderCreated(orderId));
    expect((await db.countStatements(waiting, recording)).statements).toBe(1);
  });

  describe('the upsert of each order’s first change', () => {
    const changes: IntentChange[] = [
      { kind: 'record-token', paymentToken: 'tok_new' },
      { kind: 'record-amount', amountCents: 777, currency: 'EUR' },
      { kind: 'drop' },
    ];
    const existing: Array<Omit<Intent, 'orderId' | 'customerId'> | undefined> = [
      undefined,
      { status: 'OPEN', hasToken: false, paymentToken: null, amountCents: null, currency: null },
      { status: 'OPEN', hasToken: true, paymentToken: 'tok_old', amountCents: null, currency: null },
      { status: 'OPEN', hasToken: false, paymentToken: null, amountCents: 100, currency: 'EUR' },
      { status: 'CHARGED', hasToken: true, paymentToken: null, amountCents: 100, currency: 'EUR' },
      { status: 'DROPPED', hasToken: false, paymentToken: null, amountCents: null, currency: null },
      { status: 'DROPPED', hasToken: true, paymentToken: null, amountCents: 100, currency: 'EUR' },
    ];

    it('leaves every intent as applyChange does (what the run applies in memory after it)', async () => {
      const cases = existing.flatMap((before) =>
        changes.map((change) => ({ orderId: randomUUID(), customerId: 'cust-1', before, change })),
      );
      for (const { orderId, before } of cases) {
        if (!before) continue;
        await db.dataSource.query(
          `insert into payment_intents (order_id, customer_id, status, has_token, payment_token, amount_cents, currency)
           values ($1, 'cust-1', $2, $3, $4, $5, $6)`,
          [orderId, before.status, before.hasToken, before.paymentToken, before.amountCents, before.currency],
        );
      }
      const upserted = await db.dataSource.transaction((manager) => upsertIntents(manager, cases));

      for (const { orderId, customerId, before, change } of cases) {
        const start = before ? { orderId, customerId, ...before } : blankIntent(orderId, customerId);
        expect({ before, change, after: upserted.get(orderId) }).toEqual({
          before,
          change,
          after: applyChange(start, change),
        });
      }
    });
  });
});
