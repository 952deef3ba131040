import { randomUUID } from 'node:crypto';
import type { BatchEventContext, IncomingEvent } from '@orderflow/messaging';
import {
  PaymentEvent,
  RecordPaymentOutcomesHandler,
} from '../record-payment-outcome/record-payment-outcomes.handler';
import { RecordShippingAddressesHandler } from '../record-shipping-address/record-shipping-addresses.handler';
import { envelope, shippingTestDb } from '../../test/shipping-db';
import { ApplyShipmentRequestEvents } from './apply-shipment-request-events.service';

// A consumer run applies many events in one transaction, in memory: besides scheduling itself, these
// check that a run leaves what one event at a time would, against real Postgres.

describe('shipping-service scheduling against Postgres', () => {
  let db: Awaited<ReturnType<typeof shippingTestDb>>;
  const requests = new ApplyShipmentRequestEvents();
  const onOrderCreated = new RecordShippingAddressesHandler(requests);
  const onPayment = new RecordPaymentOutcomesHandler(requests);

  beforeAll(async () => {
    db = await shippingTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  const orderCreated = (orderId: string, country = 'DE') =>
    envelope('OrderCreated', {
      orderId,
      customerId: 'cust-1',
      items: [{ sku: 'SKU-1', quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country },
      createdAt: new Date().toISOString(),
    });
  const paid = (orderId: string) =>
    envelope('PaymentProcessed', {
      orderId,
      customerId: 'cust-1',
      paymentId: randomUUID(),
      amountCents: 1999,
      currency: 'EUR',
    });
  const failed = (orderId: string) =>
    envelope('PaymentFailed', {
      orderId,
      customerId: 'cust-1',
      paymentId: randomUUID(),
      amountCents: 1999,
      currency: 'EUR',
      reason: 'card_declined',
    });

  /** One consumer run of the orders topic, in one transaction. */
  const recordAddresses = (events: Array<IncomingEvent<'OrderCreated'>>) =>
    db.deliverBatch(events, (_delivered, ctx) => onOrderCreated.handle(events, ctx));
  /** One consumer run of the payments topic, in one transaction. */
  const recordPayments = (events: PaymentEvent[]) =>
    db.deliverBatch(events, (_delivered, ctx) => onPayment.handle(events, ctx));
  const recordAddress = async (event: IncomingEvent<'OrderCreated'>) => (await recordAddresses([event]))[0];
  const recordPayment = async (event: PaymentEvent) => (await recordPayments([event]))[0];
  const newOrders = (count: number) => Array.from({ length: count }, () => randomUUID());

  async function request(orderId: string) {
    const [row] = await db.dataSource.query(
      `select status, address->>'country' as country, payment_id from shipment_requests where order_id = $1`,
      [orderId],
    );
    return row as { status: string; country: string | null; payment_id: string | null } | undefined;
  }
  async function shipments(orderIds: string[]) {
    const rows: Array<Record<string, string>> = await db.dataSource.query(
      `select id as "shipmentId", order_id as "orderId", customer_id as "customerId", carrier,
              tracking_number as "trackingNumber", address->>'country' as country
         from shipments where order_id = any($1) order by order_id`,
      [orderIds],
    );
    return rows;
  }
  /** The ShipmentScheduled events of these orders, in outbox order, with the event that caused each. */
  async function scheduled(orderIds: string[]) {
    const rows: Array<{ payload: Record<string, string>; causation: string }> = await db.dataSource.query(
      `select payload, headers->>'causation-id' as causation from messaging_outbox_events
        where event_type = 'ShipmentScheduled' and message_key = any($1) order by id, position`,
      [orderIds],
    );
    return rows;
  }

  it('schedules when the second half arrives, with the carrier of the destination', async () => {
    const addressFirst = randomUUID();
    expect(await recordAddress(orderCreated(addressFirst, 'US'))).toBe('waiting');
    expect(await recordPayment(paid(addressFirst))).toBe('scheduled');
    const paidFirst = randomUUID();
    expect(await recordPayment(paid(paidFirst))).toBe('waiting');
    expect(await recordAddress(orderCreated(paidFirst, 'DE'))).toBe('scheduled');

    const events = (await scheduled([addressFirst, paidFirst])).map((e) => e.payload);
    expect(events.find((e) => e.orderId === addressFirst)).toMatchObject({
      carrier: 'UPS',
      trackingNumber: expect.stringMatching(/^1Z/),
    });
    expect(events.find((e) => e.orderId === paidFirst)).toMatchObject({ carrier: 'DHL' });
  });

  it('schedules one shipment per order when both events and redeliveries race', async () => {
    const orders = newOrders(25);
    await Promise.all(
      orders.flatMap((orderId) => [
        recordAddress(orderCreated(orderId)),
        recordPayment(paid(orderId)),
        recordPayment(paid(orderId)),
        recordAddress(orderCreated(orderId)),
      ]),
    );
    expect(await shipments(orders)).toHaveLength(25);
    expect(await scheduled(orders)).toHaveLength(25);
  });

  it('schedules one shipment per order when runs sharing orders in opposite orders race', async () => {
    const orders = newOrders(20);
    const reversed = [...orders].reverse();
    const outcomes = await Promise.all([
      recordAddresses(orders.map((orderId) => orderCreated(orderId))),
      recordPayments(reversed.map(paid)),
      recordAddresses(reversed.map((orderId) => orderCreated(orderId))),
      recordPayments(orders.map(paid)),
    ]);

    expect(outcomes.flat().filter((o) => o === 'scheduled')).toHaveLength(20);
    expect(await shipments(orders)).toHaveLength(20);
    expect(await scheduled(orders)).toHaveLength(20);
    for (const orderId of orders) expect((await request(orderId))?.status).toBe('SCHEDULED');
  });

  it('forgets the address of an order whose payment failed and never ships it', async () => {
    const orderId = randomUUID();
    await recordAddress(orderCreated(orderId));
    expect(await recordPayment(failed(orderId))).toBe('dropped');
    expect(await recordAddress(orderCreated(orderId))).toBe('not-open');
    expect(await request(orderId)).toEqual({ status: 'DROPPED', country: null, payment_id: null });
    expect(await shipments([orderId])).toEqual([]);
  });

  it('schedules, in one run of payments, exactly the orders whose address is known', async () => {
    const [toUs, unknown, toGermany] = newOrders(3);
    await recordAddresses([orderCreated(toUs, 'US'), orderCreated(toGermany, 'DE')]);
    const run = [paid(toUs), paid(unknown), paid(toGermany)];

    expect(await recordPayments(run)).toEqual(['scheduled', 'waiting', 'scheduled']);

    const stored = await shipments([toUs, toGermany]);
    const published = await scheduled([toUs, unknown, toGermany]);
    expect(published).toEqual(
      [
        { cause: run[0], orderId: toUs, carrier: 'UPS' },
        { cause: run[2], orderId: toGermany, carrier: 'DHL' },
      ].map(({ cause, orderId, carrier }) => {
        const { shipmentId, trackingNumber } = stored.find((s) => s.orderId === orderId)!;
        return {
          payload: { orderId, customerId: 'cust-1', shipmentId, carrier, trackingNumber },
          causation: cause.eventId,
        };
      }),
    );
    expect(await request(unknown)).toEqual({
      status: 'OPEN',
      country: null,
      payment_id: run[1].payload.paymentId,
    });
    expect(await recordAddress(orderCreated(unknown))).toBe('scheduled');
  });

  it('applies the events of an order within one run one after another: the first to decide wins', async () => {
    const [paidTwice, paidThenFailed, failedThenPaid, waitingThenFailed] = newOrders(4);
    await recordAddresses([paidTwice, paidThenFailed, failedThenPaid].map((id) => orderCreated(id)));
    const run = [
      paid(paidTwice),
      paid(paidThenFailed),
      failed(failedThenPaid),
      paid(waitingThenFailed),
      paid(paidTwice),
      failed(paidThenFailed),
      paid(failedThenPaid),
      failed(waitingThenFailed),
    ];

    expect(await recordPayments(run)).toEqual([
      'scheduled',
      'scheduled',
      'dropped',
      'waiting',
      'not-open',
      'dropped',
      'not-open',
      'dropped',
    ]);

    const secondPayment = (run[4] as IncomingEvent<'PaymentProcessed'>).payload.paymentId;
    expect(await request(paidTwice)).toEqual({
      status: 'SCHEDULED',
      country: 'DE',
      payment_id: secondPayment,
    });
    expect(await request(paidThenFailed)).toMatchObject({ status: 'SCHEDULED', country: 'DE' });
    expect(await request(failedThenPaid)).toMatchObject({ status: 'DROPPED', country: null });
    expect(await request(waitingThenFailed)).toMatchObject({ status: 'DROPPED', country: null });
    const all = [paidTwice, paidThenFailed, failedThenPaid, waitingThenFailed];
    expect((await shipments(all)).map((s) => s.orderId).sort()).toEqual([paidTwice, paidThenFailed].sort());
    expect((await scheduled(all)).map((e) => [e.payload.orderId, e.causation])).toEqual([
      [paidTwice, run[0].eventId],
      [paidThenFailed, run[1].eventId],
    ]);
  });

  it('schedules, in one run of OrderCreated, the orders paid before, each once, at its first address', async () => {
    const [paidToUs, fresh, paidToGermany, dropped] = newOrders(4);
    await recordPayments([paid(paidToUs), paid(paidToGermany), failed(dropped)]);
    const run = [
      orderCreated(paidToUs, 'US'),
      orderCreated(fresh),
      orderCreated(paidToGermany, 'DE'),
      orderCreated(dropped),
      orderCreated(fresh),
      orderCreated(paidToUs, 'GB'),
    ];

    expect(await recordAddresses(run)).toEqual([
      'scheduled',
      'waiting',
      'scheduled',
      'not-open',
      'waiting',
      'not-open',
    ]);

    expect(
      (await shipments([paidToUs, paidToGermany])).map(({ orderId, carrier, country }) => ({
        orderId,
        carrier,
        country,
      })),
    ).toEqual(
      expect.arrayContaining([
        { orderId: paidToUs, carrier: 'UPS', country: 'US' },
        { orderId: paidToGermany, carrier: 'DHL', country: 'DE' },
      ]),
    );
    expect((await scheduled([paidToUs, paidToGermany])).map((e) => e.causation)).toEqual([
      run[0].eventId,
      run[2].eventId,
    ]);
    expect(await request(fresh)).toEqual({ status: 'OPEN', country: 'DE', payment_id: null });
    expect(await request(dropped)).toMatchObject({ status: 'DROPPED', country: null });
    expect(await shipments([fresh, dropped])).toEqual([]);
  });

  it('never inserts a second shipment for an order that has one, and leaves its request open', async () => {
    const orderId = randomUUID();
    await recordAddress(orderCreated(orderId));
    await db.dataSource.query(
      `insert into shipments (id, order_id, customer_id, carrier, tracking_number, address)
       values ($1, $2, 'cust-1', 'DHL', $3, '{}')`,
      [randomUUID(), orderId, `JJD${randomUUID()}`],
    );

    expect(await recordPayment(paid(orderId))).toBe('already-scheduled');
    expect(await shipments([orderId])).toHaveLength(1);
    expect(await scheduled([orderId])).toEqual([]);
    expect(await request(orderId)).toMatchObject({ status: 'OPEN', country: 'DE' });
  });

  it('costs the same statements for a run of 1 or of 20, whatever the mix', async () => {
    const [addressed, unaddressed] = [newOrders(11), newOrders(11)];
    await recordAddresses(addressed.map((orderId) => orderCreated(orderId)));
    await recordPayment(paid(unaddressed[0]));
    const paying = (events: PaymentEvent[], ctx: BatchEventContext) => onPayment.handle(events, ctx);
    const creating = (events: Array<IncomingEvent<'OrderCreated'>>, ctx: BatchEventContext) =>
      onOrderCreated.handle(events, ctx);

    // Each run of one schedules its order; each run of 20 schedules some, waits for or drops others.
    expect((await db.countStatements([paid(addressed[0])], paying)).statements).toBe(2);
    const payments = [
      ...addressed.slice(1).map((orderId, i) => (i % 2 ? failed(orderId) : paid(orderId))),
      ...unaddressed.slice(1).map(paid),
    ];
    expect((await db.countStatements(payments, paying)).statements).toBe(2);
    expect((await db.countStatements([orderCreated(unaddressed[0])], creating)).statements).toBe(2);
    const addresses = [...unaddressed.slice(1), ...newOrders(10)].map((orderId) => orderCreated(orderId));
    expect((await db.countStatements(addresses, creating)).statements).toBe(2);
  });
});
