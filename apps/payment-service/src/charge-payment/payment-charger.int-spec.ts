import { randomUUID } from 'node:crypto';
import type { EventPayloads } from '@orderflow/contracts';
import { ChargeReservedOrderHandler } from '../charge-reserved-order/charge-reserved-order.handler';
import { DropPaymentIntentHandler } from '../drop-payment-intent/drop-payment-intent.handler';
import { RecordPaymentIntentHandler } from '../record-payment-intent/record-payment-intent.handler';
import { paymentTestDb } from '../../test/payment-db';
import { PaymentCharger } from './payment-charger';
import { PaymentProvider } from './payment-provider';

describe('payment-service charging against Postgres', () => {
  let db: Awaited<ReturnType<typeof paymentTestDb>>;
  // A little provider latency widens the window in which concurrent deliveries could double-charge.
  const charger = new PaymentCharger(new PaymentProvider({ PAYMENT_LATENCY_MS: 5 }));
  const onOrderCreated = new RecordPaymentIntentHandler(charger);
  const onReserved = new ChargeReservedOrderHandler(charger);
  const onRejected = new DropPaymentIntentHandler();

  beforeAll(async () => {
    db = await paymentTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  const orderCreated = (orderId: string, paymentToken = 'tok_visa'): EventPayloads['OrderCreated'] => ({
    orderId,
    customerId: 'cust-1',
    items: [{ sku: 'SKU-1', quantity: 2 }],
    paymentToken,
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    createdAt: new Date().toISOString(),
  });
  const reserved = (orderId: string, totalCents = 3998): EventPayloads['InventoryReserved'] => ({
    orderId,
    customerId: 'cust-1',
    reservationId: randomUUID(),
    items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: totalCents / 2 }],
    totalCents,
    currency: 'EUR',
  });
  const deliverCreated = (p: EventPayloads['OrderCreated']) =>
    db.deliver('OrderCreated', p, (e, ctx) => onOrderCreated.handle(e, ctx));
  const deliverReserved = (p: EventPayloads['InventoryReserved']) =>
    db.deliver('InventoryReserved', p, (e, ctx) => onReserved.handle(e, ctx));
  const paymentsOf = async (orderId: string) =>
    db.dataSource.query('select status, amount_cents, decline_code from payments where order_id = $1', [
      orderId,
    ]);
  const eventsOf = async (orderId: string) => [
    ...(await db.outboxEvents('PaymentProcessed')).filter((e) => e.orderId === orderId),
    ...(await db.outboxEvents('PaymentFailed')).filter((e) => e.orderId === orderId),
  ];

  it('charges when the second half arrives, whichever it is', async () => {
    const tokenFirst = randomUUID();
    expect(await deliverCreated(orderCreated(tokenFirst))).toBe('waiting');
    expect(await deliverReserved(reserved(tokenFirst))).toBe('processed');

    const totalFirst = randomUUID();
    expect(await deliverReserved(reserved(totalFirst))).toBe('waiting');
    expect(await deliverCreated(orderCreated(totalFirst))).toBe('processed');

    for (const orderId of [tokenFirst, totalFirst]) {
      expect(await paymentsOf(orderId)).toEqual([
        { status: 'PROCESSED', amount_cents: '3998', decline_code: null },
      ]);
      expect(await eventsOf(orderId)).toEqual([
        expect.objectContaining({ amountCents: 3998, currency: 'EUR' }),
      ]);
    }
    const [intent] = await db.dataSource.query(
      'select status, payment_token from payment_intents where order_id = $1',
      [tokenFirst],
    );
    expect(intent).toEqual({ status: 'CHARGED', payment_token: null });
  });

  it('charges each order exactly once when both events and their redeliveries race', async () => {
    const orders: string[] = Array.from({ length: 25 }, () => randomUUID());
    await Promise.all(
      orders.flatMap((orderId) => [
        deliverCreated(orderCreated(orderId)),
        deliverReserved(reserved(orderId)),
        deliverCreated(orderCreated(orderId)),
        deliverReserved(reserved(orderId)),
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

  it('publishes PaymentFailed with the decline code', async () => {
    const declined = randomUUID();
    await deliverCreated(orderCreated(declined, 'tok_declined'));
    expect(await deliverReserved(reserved(declined))).toBe('failed');
    expect(await eventsOf(declined)).toEqual([
      expect.objectContaining({ reason: 'card_declined', amountCents: 3998 }),
    ]);

    const tooMuch = randomUUID();
    await deliverCreated(orderCreated(tooMuch));
    await deliverReserved(reserved(tooMuch, 2_000_000));
    expect(await paymentsOf(tooMuch)).toEqual([
      { status: 'FAILED', amount_cents: '2000000', decline_code: 'amount_limit_exceeded' },
    ]);
  });

  it('never charges a rejected order, even when OrderCreated comes after the rejection', async () => {
    const orderId = randomUUID();
    const rejected: EventPayloads['InventoryRejected'] = {
      orderId,
      customerId: 'cust-1',
      reason: 'insufficient_stock',
      skus: ['SKU-1'],
    };
    await db.deliver('InventoryRejected', rejected, (e, ctx) => onRejected.handle(e, ctx));
    expect(await deliverCreated(orderCreated(orderId))).toBe('not-open');
    expect(await paymentsOf(orderId)).toEqual([]);
    const [intent] = await db.dataSource.query(
      'select status, payment_token from payment_intents where order_id = $1',
      [orderId],
    );
    expect(intent).toEqual({ status: 'DROPPED', payment_token: null });
  });
});
