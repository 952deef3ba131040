import type { OrderSnapshot, OrderStatus } from '@orderflow/contracts';
import {
  placeOrder,
  request,
  SAGA_SERVICES,
  SagaStack,
  seedProduct,
  uniqueName,
  waitFor,
  waitForStatus,
} from '@orderflow/testing';
import { Page, Payment, SagaApi } from './support/saga-api';

// The saga end to end: the five services spoken to only through their HTTP APIs, as processes on
// fresh databases and topics or an already-running stack (E2E_TARGET): unique customers and SKUs,
// nothing assumes an empty database. One stack for the whole file (start-up dominates the wall
// time). What needs an app stopped and restarted is in payment-outage.e2e-spec.ts.
const SERVICES = SAGA_SERVICES;
const TERMINAL: OrderStatus[] = ['SHIPPING_SCHEDULED', 'REJECTED', 'CANCELLED'];

describe('the order saga, end to end', () => {
  let stack: SagaStack;
  let orders: string;
  let inventory: string;
  let admin: string;
  let api: SagaApi;
  const run = uniqueName('e2e');
  const sku = (name: string) => `${run}-${name}`;

  beforeAll(async () => {
    stack = await SagaStack.start({ apps: SERVICES });
    orders = stack.url('order-service');
    inventory = stack.url('inventory-service');
    api = new SagaApi(stack);
    admin = api.admin;
  }, 170_000);

  afterAll(async () => {
    await stack?.close();
  });

  const statusesOf = (order: OrderSnapshot) => order.history.map((h) => [h.status, h.version]);

  it('1. takes an order to SHIPPING_SCHEDULED: priced, charged once, shipped once, notified once per kind', async () => {
    const { id, token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('happy'), { priceCents: 1999, available: 10 });
    const placed = await placeOrder(orders, token, { items: [{ sku: sku('happy'), quantity: 2 }] });
    expect(placed.status).toBe(202);

    const order = await waitForStatus(orders, token, placed.body.orderId, TERMINAL);
    expect(order).toMatchObject({
      customerId: id,
      status: 'SHIPPING_SCHEDULED',
      version: 4,
      items: [{ sku: sku('happy'), quantity: 2, unitPriceCents: 1999 }],
      totalCents: 3998,
      currency: 'EUR',
      reason: null,
    });
    expect(statusesOf(order)).toEqual([
      ['PENDING', 1],
      ['INVENTORY_RESERVED', 2],
      ['PAID', 3],
      ['SHIPPING_SCHEDULED', 4],
    ]);
    const charged = await api.payments(order.orderId, token);
    expect(charged).toEqual([
      expect.objectContaining({ orderId: order.orderId, amountCents: 3998, reason: null }),
    ]);
    const shipped = await api.shipments(order.orderId, token);
    expect(shipped).toEqual([
      expect.objectContaining({
        orderId: order.orderId,
        carrier: expect.any(String),
        trackingNumber: expect.any(String),
      }),
    ]);
    const kinds = await api.notificationKinds(order.orderId, token, [
      'order_received',
      'order_confirmed',
      'order_shipped',
    ]);
    expect(kinds).toEqual(['order_confirmed', 'order_received', 'order_shipped']);
    expect((await api.product(sku('happy'))).available).toBe(8);
    const metrics = await request<string>('GET', `${orders}/metrics`);
    expect(metrics.body).toMatch(/saga_duration\w*_count\{[^}]*outcome="SHIPPING_SCHEDULED"[^}]*\} [1-9]/);
  });

  it('2. rejects an unknown SKU and insufficient stock with the reason, leaving stock untouched', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('scarce'), { priceCents: 500, available: 1 });
    await seedProduct(inventory, admin, sku('plenty'), { priceCents: 700, available: 5 });

    const unknown = await placeOrder(orders, token, {
      items: [
        { sku: sku('plenty'), quantity: 1 },
        { sku: sku('no-such-product'), quantity: 1 },
      ],
    });
    const tooMany = await placeOrder(orders, token, {
      items: [
        { sku: sku('plenty'), quantity: 1 },
        { sku: sku('scarce'), quantity: 2 },
      ],
    });
    const [a, b] = await Promise.all([
      waitForStatus(orders, token, unknown.body.orderId, TERMINAL),
      waitForStatus(orders, token, tooMany.body.orderId, TERMINAL),
    ]);
    expect(a).toMatchObject({ status: 'REJECTED', reason: 'unknown_sku', version: 2, totalCents: null });
    expect(b).toMatchObject({
      status: 'REJECTED',
      reason: 'insufficient_stock',
      version: 2,
      totalCents: null,
    });
    expect(statusesOf(b)).toEqual([
      ['PENDING', 1],
      ['REJECTED', 2],
    ]);
    expect(await api.product(sku('scarce'))).toMatchObject({ available: 1, reserved: 0 });
    expect(await api.product(sku('plenty'))).toMatchObject({ available: 5, reserved: 0 });
    expect(await api.notificationKinds(b.orderId, token, ['order_received', 'order_rejected'])).toEqual([
      'order_received',
      'order_rejected',
    ]);
    expect(await api.payments(b.orderId, token)).toEqual([]);
  });

  it('3. cancels a declined card (card_declined) and puts the reserved stock back', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('declined'), { priceCents: 1000, available: 5 });
    const placed = await placeOrder(orders, token, {
      items: [{ sku: sku('declined'), quantity: 3 }],
      paymentToken: 'tok_declined',
    });
    const order = await waitForStatus(orders, token, placed.body.orderId, TERMINAL);
    expect(order).toMatchObject({
      status: 'CANCELLED',
      reason: 'card_declined',
      version: 4,
      totalCents: 3000,
    });
    expect(order.history.map((h) => [h.status, h.version, h.reason])).toEqual([
      ['PENDING', 1, null],
      ['INVENTORY_RESERVED', 2, null],
      ['PAYMENT_FAILED', 3, 'card_declined'],
      ['CANCELLED', 4, 'card_declined'],
    ]);
    expect(await api.product(sku('declined'))).toMatchObject({ available: 5, reserved: 0 });
    expect(await api.payments(order.orderId, token)).toEqual([
      expect.objectContaining({ reason: 'card_declined' }),
    ]);
    expect(await api.shipments(order.orderId, token)).toEqual([]);
    expect(await api.notificationKinds(order.orderId, token, ['order_received', 'order_cancelled'])).toEqual([
      'order_cancelled',
      'order_received',
    ]);
  });

  it('4. cancels an order above the amount limit with amount_limit_exceeded', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('luxury'), { priceCents: 600_000, available: 5 });
    const placed = await placeOrder(orders, token, { items: [{ sku: sku('luxury'), quantity: 2 }] });
    const order = await waitForStatus(orders, token, placed.body.orderId, TERMINAL);
    expect(order).toMatchObject({
      status: 'CANCELLED',
      reason: 'amount_limit_exceeded',
      totalCents: 1_200_000,
    });
    expect(await api.product(sku('luxury'))).toMatchObject({ available: 5, reserved: 0 });
  });

  it('5. replays an Idempotency-Key (sequential and 20 concurrent) as exactly one order; another body → 422', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('idem'), { priceCents: 100, available: 50 });
    const body = { items: [{ sku: sku('idem'), quantity: 1 }] };

    const key = uniqueName('key');
    const first = await placeOrder(orders, token, body, { idempotencyKey: key });
    const again = await placeOrder(orders, token, body, { idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, body: first.body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await placeOrder(
      orders,
      token,
      { items: [{ sku: sku('idem'), quantity: 2 }] },
      { idempotencyKey: key },
    );
    expect(other.status).toBe(422);

    const burstKey = uniqueName('key');
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(orders, token, body, { idempotencyKey: burstKey })),
    );
    expect(burst.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    const ids = new Set(burst.filter((r) => r.status === 202).map((r) => r.body.orderId));
    expect(ids.size).toBe(1);

    const mine = await api.listOf<OrderSnapshot>('order-service', '/orders?limit=100', token);
    expect(mine).toHaveLength(2);
    for (const order of mine) {
      await waitForStatus(orders, token, order.orderId, 'SHIPPING_SCHEDULED');
      expect(await api.payments(order.orderId, token)).toHaveLength(1);
    }
    expect((await api.product(sku('idem'))).available).toBe(48);
  });

  it('6. sells exactly the 10 in stock to 100 concurrent orders: 10 shipped, 90 rejected, stock 0', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('rush'), { priceCents: 250, available: 10 });
    const placed = await Promise.all(
      Array.from({ length: 100 }, () =>
        placeOrder(orders, token, { items: [{ sku: sku('rush'), quantity: 1 }] }),
      ),
    );
    expect(placed.map((p) => p.status)).toEqual(Array(100).fill(202));

    const settled = await waitFor(
      '100 orders to settle',
      async () => {
        const all = await api.listOf<OrderSnapshot>('order-service', '/orders?limit=100', token);
        return all.length === 100 && all.every((o) => TERMINAL.includes(o.status)) && all;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const count = (status: OrderStatus) => settled.filter((o) => o.status === status).length;
    expect({ shipped: count('SHIPPING_SCHEDULED'), rejected: count('REJECTED') }).toEqual({
      shipped: 10,
      rejected: 90,
    });
    expect(
      settled.filter((o) => o.status === 'REJECTED').every((o) => o.reason === 'insufficient_stock'),
    ).toBe(true);
    expect(await api.product(sku('rush'))).toMatchObject({ available: 0 });
  }, 180_000);

  it('7. requires a token, hides other customers’ orders as 404, lets an admin read any', async () => {
    const { token } = api.newCustomer();
    await seedProduct(inventory, admin, sku('auth'), { priceCents: 100, available: 5 });
    const placed = await placeOrder(orders, token, { items: [{ sku: sku('auth'), quantity: 1 }] });
    const url = `${orders}/orders/${placed.body.orderId}`;

    expect(
      (await request('POST', `${orders}/orders`, { body: { items: [{ sku: 'x', quantity: 1 }] } })).status,
    ).toBe(401);
    expect((await request('GET', url)).status).toBe(401);
    const foreign = await request('GET', url, { token: api.newCustomer().token });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await request('GET', url, { token: admin })).status).toBe(200);
    const order = await waitForStatus(orders, token, placed.body.orderId, TERMINAL);
    const strangerPayments = await request<Page<Payment>>(
      'GET',
      `${stack.url('payment-service')}/payments?orderId=${order.orderId}`,
      {
        token: api.newCustomer().token,
      },
    );
    expect(strangerPayments.status === 404 || strangerPayments.body.items.length === 0).toBe(true);
    expect(await api.payments(order.orderId, admin)).toHaveLength(1);
  });

  it.each<[string, string, unknown]>([
    [
      'missing items',
      '/items',
      { shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' } },
    ],
    ['quantity 0', '/items/0/quantity', { items: [{ sku: 'A', quantity: 0 }] }],
    ['quantity 101', '/items/0/quantity', { items: [{ sku: 'A', quantity: 101 }] }],
    ['quantity as text', '/items/0/quantity', { items: [{ sku: 'A', quantity: 'two' }] }],
    [
      'duplicate SKUs',
      '/items/1/sku',
      {
        items: [
          { sku: 'A', quantity: 1 },
          { sku: 'A', quantity: 1 },
        ],
      },
    ],
    ['an unknown property', '/coupon', { items: [{ sku: 'A', quantity: 1 }], coupon: 'FREE' }],
  ])('8. answers %s with 400 problem+json naming %s', async (_what, field, body) => {
    const { token } = api.newCustomer();
    const res = await request<{ status: number; errors: { field: string }[] }>('POST', `${orders}/orders`, {
      token,
      body: {
        shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'DE' },
        ...(body as object),
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e) => e.field)).toContain(field);
  });

  it('8. answers an oversize body with 413 and non-JSON with 400/415, never 5xx', async () => {
    const { token } = api.newCustomer();
    const oversize = await request('POST', `${orders}/orders`, {
      token,
      body: { items: [], pad: 'x'.repeat(70_000) },
    });
    const broken = await request('POST', `${orders}/orders`, {
      token,
      rawBody: '{"items":',
      headers: { 'content-type': 'application/json' },
    });
    const text = await request('POST', `${orders}/orders`, {
      token,
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect([oversize.status, broken.status, text.status]).toEqual([413, 400, 415]);
  });
});
