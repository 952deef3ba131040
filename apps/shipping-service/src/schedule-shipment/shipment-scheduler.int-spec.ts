import { randomUUID } from 'node:crypto';
import type { EventPayloads } from '@orderflow/contracts';
import { DropShippingAddressHandler } from '../drop-shipping-address/drop-shipping-address.handler';
import { RecordShippingAddressHandler } from '../record-shipping-address/record-shipping-address.handler';
import { shippingTestDb } from '../../test/shipping-db';
import { ScheduleShipmentHandler } from './schedule-shipment.handler';
import { ShipmentScheduler } from './shipment-scheduler';

describe('shipping-service scheduling against Postgres', () => {
  let db: Awaited<ReturnType<typeof shippingTestDb>>;
  const scheduler = new ShipmentScheduler();
  const onOrderCreated = new RecordShippingAddressHandler(scheduler);
  const onPaid = new ScheduleShipmentHandler(scheduler);
  const onPaymentFailed = new DropShippingAddressHandler();

  beforeAll(async () => {
    db = await shippingTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });

  const orderCreated = (orderId: string, country = 'DE'): EventPayloads['OrderCreated'] => ({
    orderId,
    customerId: 'cust-1',
    items: [{ sku: 'SKU-1', quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country },
    createdAt: new Date().toISOString(),
  });
  const paid = (orderId: string): EventPayloads['PaymentProcessed'] => ({
    orderId,
    customerId: 'cust-1',
    paymentId: randomUUID(),
    amountCents: 1999,
    currency: 'EUR',
  });
  const deliverCreated = (p: EventPayloads['OrderCreated']) =>
    db.deliver('OrderCreated', p, (e, ctx) => onOrderCreated.handle(e, ctx));
  const deliverPaid = (p: EventPayloads['PaymentProcessed']) =>
    db.deliver('PaymentProcessed', p, (e, ctx) => onPaid.handle(e, ctx));

  it('schedules when the second half arrives, with the carrier of the destination', async () => {
    const addressFirst = randomUUID();
    expect(await deliverCreated(orderCreated(addressFirst, 'US'))).toBe('waiting');
    expect(await deliverPaid(paid(addressFirst))).toBe('scheduled');
    const paidFirst = randomUUID();
    expect(await deliverPaid(paid(paidFirst))).toBe('waiting');
    expect(await deliverCreated(orderCreated(paidFirst, 'DE'))).toBe('scheduled');

    const events = await db.outboxEvents('ShipmentScheduled');
    expect(events.find((e) => e.orderId === addressFirst)).toMatchObject({
      carrier: 'UPS',
      trackingNumber: expect.stringMatching(/^1Z/),
    });
    expect(events.find((e) => e.orderId === paidFirst)).toMatchObject({ carrier: 'DHL' });
  });

  it('schedules one shipment per order when both events and redeliveries race', async () => {
    const orders: string[] = Array.from({ length: 25 }, () => randomUUID());
    await Promise.all(
      orders.flatMap((orderId) => [
        deliverCreated(orderCreated(orderId)),
        deliverPaid(paid(orderId)),
        deliverPaid(paid(orderId)),
        deliverCreated(orderCreated(orderId)),
      ]),
    );
    const [{ count }] = await db.dataSource.query(
      'select count(*)::int as count from shipments where order_id = any($1)',
      [orders],
    );
    expect(count).toBe(25);
    const events = (await db.outboxEvents('ShipmentScheduled')).filter((e) =>
      orders.includes(e.orderId as string),
    );
    expect(events).toHaveLength(25);
  });

  it('forgets the address of an order whose payment failed and never ships it', async () => {
    const orderId = randomUUID();
    await deliverCreated(orderCreated(orderId));
    const failed: EventPayloads['PaymentFailed'] = { ...paid(orderId), reason: 'card_declined' };
    await db.deliver('PaymentFailed', failed, (e, ctx) => onPaymentFailed.handle(e, ctx));
    expect(await deliverCreated(orderCreated(orderId))).toBe('not-open');
    const [request] = await db.dataSource.query(
      'select status, address from shipment_requests where order_id = $1',
      [orderId],
    );
    expect(request).toEqual({ status: 'DROPPED', address: null });
  });
});
