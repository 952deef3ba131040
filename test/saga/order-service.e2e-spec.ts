import { randomUUID } from 'node:crypto';
import type { OrderSnapshot } from '@orderflow/contracts';
import { Client } from 'pg';
import {
  getOrder,
  placeOrder,
  request,
  SagaStack,
  uniqueName,
  waitFor,
  waitForStatus,
} from '@orderflow/testing';
import { SagaEventProbe } from './support/saga-events';

// order-service alone, as a process; the probe plays inventory, payment and shipping on Kafka.
describe('order-service', () => {
  let stack: SagaStack;
  let url: string;
  let probe: SagaEventProbe;
  const customer = uniqueName('alice');
  let token: string;

  beforeAll(async () => {
    stack = await SagaStack.start({ apps: ['order-service'] });
    url = stack.url('order-service');
    token = stack.token(customer);
    probe = new SagaEventProbe(stack.topicPrefix);
    await probe.record(['orders.events', 'orders.status']);
  }, 150_000);

  afterAll(async () => {
    await probe?.close();
    await db?.end();
    await stack?.close();
  });

  let db: Client | undefined;
  async function query(sql: string, params: unknown[]): Promise<number> {
    if (!db) {
      db = new Client({ connectionString: stack.databaseUrl('order-service') });
      await db.connect();
    }
    const { rows } = await db.query<{ n: number }>(sql, params);
    return rows[0].n;
  }
  const parkedEvents = (orderId: string) =>
    query('select count(*)::int as n from parked_events where order_id = $1', [orderId]);
  /** How many of these events order-service has consumed (its inbox rows). */
  const consumed = (eventIds: string[]) =>
    query('select count(*)::int as n from messaging_inbox where event_id = any($1::uuid[])', [eventIds]);

  const lines = [
    { sku: 'SKU-1', quantity: 2 },
    { sku: 'SKU-2', quantity: 1 },
  ];

  describe('POST /orders and GET /orders/{id}', () => {
    it('accepts an order as PENDING v1 and shows it unpriced with its first history entry', async () => {
      const res = await placeOrder(url, token, { items: lines });
      expect(res.status).toBe(202);
      // A UUIDv7: time-ordered, so the order's rows in every service append to their indexes (ADR 54).
      const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      expect(res.body).toEqual({ orderId: expect.stringMatching(uuidV7), status: 'PENDING', version: 1 });
      expect(res.headers.get('location')).toBe(`/orders/${res.body.orderId}`);

      const order = await getOrder(url, token, res.body.orderId);
      expect(order).toEqual({
        orderId: res.body.orderId,
        customerId: customer,
        status: 'PENDING',
        version: 1,
        items: [
          { sku: 'SKU-1', quantity: 2, unitPriceCents: null },
          { sku: 'SKU-2', quantity: 1, unitPriceCents: null },
        ],
        totalCents: null,
        currency: null,
        reason: null,
        history: [{ status: 'PENDING', version: 1, at: expect.any(String), reason: null }],
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('publishes OrderCreated (default token, address) and OrderStatusChanged PENDING v1 through the outbox', async () => {
      const { body } = await placeOrder(url, token, { items: lines });
      const created = await waitFor('OrderCreated', () => probe.of('OrderCreated', body.orderId)[0]);
      expect(created.payload).toMatchObject({
        orderId: body.orderId,
        customerId: customer,
        items: lines,
        paymentToken: 'tok_visa',
        shippingAddress: { country: 'DE', city: 'Berlin' },
      });
      const changed = await waitFor(
        'OrderStatusChanged',
        () => probe.of('OrderStatusChanged', body.orderId)[0],
      );
      expect(changed.payload).toMatchObject({
        status: 'PENDING',
        previousStatus: null,
        version: 1,
        order: { orderId: body.orderId, status: 'PENDING', version: 1 },
      });
    });
  });

  describe('the saga state machine', () => {
    const reserved = (orderId: string) => ({
      orderId,
      customerId: customer,
      reservationId: randomUUID(),
      items: [
        { sku: 'SKU-1', quantity: 2, unitPriceCents: 1999 },
        { sku: 'SKU-2', quantity: 1, unitPriceCents: 500 },
      ],
      totalCents: 4498,
      currency: 'EUR',
    });
    const payment = (orderId: string) => ({
      orderId,
      customerId: customer,
      paymentId: randomUUID(),
      amountCents: 4498,
      currency: 'EUR',
    });

    it('applies events that arrive out of order exactly once, one version per change', async () => {
      const { body } = await placeOrder(url, token, { items: lines });
      const orderId = body.orderId;
      // Shipping and payment overtake inventory: both are parked until the order is reserved.
      await probe.publish('ShipmentScheduled', {
        orderId,
        customerId: customer,
        shipmentId: randomUUID(),
        carrier: 'DHL',
        trackingNumber: 'T1',
      });
      const paidId = await probe.publish('PaymentProcessed', payment(orderId));
      await probe.publish('PaymentProcessed', payment(orderId), paidId); // redelivery
      // White-box on purpose: proves both events waited (the redelivery deduplicated) before inventory's.
      await waitFor('the early events to be parked', async () => (await parkedEvents(orderId)) === 2);
      expect((await getOrder(url, token, orderId)).status).toBe('PENDING');
      await probe.publish('InventoryReserved', reserved(orderId));

      const order = await waitForStatus(url, token, orderId, 'SHIPPING_SCHEDULED');
      expect(order).toMatchObject({
        version: 4,
        totalCents: 4498,
        currency: 'EUR',
        reason: null,
        items: [
          { sku: 'SKU-1', quantity: 2, unitPriceCents: 1999 },
          { sku: 'SKU-2', quantity: 1, unitPriceCents: 500 },
        ],
      });
      expect(order.history.map((h) => [h.status, h.version])).toEqual([
        ['PENDING', 1],
        ['INVENTORY_RESERVED', 2],
        ['PAID', 3],
        ['SHIPPING_SCHEDULED', 4],
      ]);
      // A late duplicate of an applied event changes nothing.
      await probe.publish('InventoryReserved', reserved(orderId));
      await probe.publish('PaymentProcessed', payment(orderId));
      const changes = await waitFor('4 OrderStatusChanged', () => {
        const all = probe.of('OrderStatusChanged', orderId);
        return all.length >= 4 && all;
      });
      expect(changes.map((c) => c.payload.version)).toEqual([1, 2, 3, 4]);
      expect(await parkedEvents(orderId)).toBe(0);
      expect((changes[3].payload.order as OrderSnapshot).history).toHaveLength(4);
    });

    it('cancels with the decline code even when InventoryReleased overtakes PaymentFailed', async () => {
      const { body } = await placeOrder(url, token, { items: lines, paymentToken: 'tok_declined' });
      const orderId = body.orderId;
      await probe.publish('InventoryReserved', reserved(orderId));
      await waitForStatus(url, token, orderId, 'INVENTORY_RESERVED');
      await probe.publish('InventoryReleased', {
        orderId,
        customerId: customer,
        reservationId: randomUUID(),
        items: lines,
        reason: 'card_declined',
      });
      await probe.publish('PaymentFailed', { ...payment(orderId), reason: 'card_declined' });
      const order = await waitForStatus(url, token, orderId, 'CANCELLED');
      expect(order.reason).toBe('card_declined');
      expect(order.history.map((h) => [h.status, h.version, h.reason])).toEqual([
        ['PENDING', 1, null],
        ['INVENTORY_RESERVED', 2, null],
        ['PAYMENT_FAILED', 3, 'card_declined'],
        ['CANCELLED', 4, 'card_declined'],
      ]);
    });

    it('rejects with the reason and ignores a later reservation', async () => {
      const { body } = await placeOrder(url, token, { items: lines });
      await probe.publish('InventoryRejected', {
        orderId: body.orderId,
        customerId: customer,
        reason: 'unknown_sku',
        skus: ['SKU-2'],
      });
      await waitForStatus(url, token, body.orderId, 'REJECTED');
      const late = [
        await probe.publish('InventoryReserved', reserved(body.orderId)),
        await probe.publish('PaymentProcessed', payment(body.orderId)),
      ];
      await waitFor('the late events to be consumed', async () => (await consumed(late)) === 2);
      expect(await getOrder(url, token, body.orderId)).toMatchObject({
        status: 'REJECTED',
        reason: 'unknown_sku',
        version: 2,
        totalCents: null,
      });
      expect(await parkedEvents(body.orderId)).toBe(0);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first answer for the same key and body, and refuses another body with 422', async () => {
      const key = uniqueName('key');
      const first = await placeOrder(url, token, { items: lines }, { idempotencyKey: key });
      expect(first.status).toBe(202);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const again = await placeOrder(url, token, { items: lines }, { idempotencyKey: key });
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('location')).toBe(first.headers.get('location'));

      const other = await placeOrder(
        url,
        token,
        { items: [{ sku: 'SKU-1', quantity: 3 }] },
        { idempotencyKey: key },
      );
      expect(other.status).toBe(422);
      expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/);
      // Keys are per customer: another customer's identical key is a new order.
      const bob = await placeOrder(
        url,
        stack.token(uniqueName('bob')),
        { items: lines },
        { idempotencyKey: key },
      );
      expect(bob.status).toBe(202);
      expect(bob.body.orderId).not.toBe(first.body.orderId);
    });

    it('creates exactly one order for 20 concurrent duplicates', async () => {
      const solo = stack.token(uniqueName('carol'));
      const key = uniqueName('key');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => placeOrder(url, solo, { items: lines }, { idempotencyKey: key })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
      const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.orderId));
      expect(ids.size).toBe(1);
      expect(
        answers.filter((a) => a.headers.get('idempotent-replayed') === null && a.status === 202),
      ).toHaveLength(1);
      const list = await request<{ items: unknown[] }>('GET', `${url}/orders`, { token: solo });
      expect(list.body.items).toHaveLength(1);
    });

    it.each([[''], ['x'.repeat(256)], ['tab\tkey']])('refuses the malformed key %j with 400', async (key) => {
      const res = await placeOrder(url, token, { items: lines }, { idempotencyKey: key });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    });
  });

  describe('auth', () => {
    it('answers 401 without or with a bad token', async () => {
      expect((await request('POST', `${url}/orders`, { body: { items: lines } })).status).toBe(401);
      expect((await request('GET', `${url}/orders`, { token: 'a.b.c' })).status).toBe(401);
    });

    it("hides other customers' orders as 404, lets an admin read them", async () => {
      const { body } = await placeOrder(url, token, { items: lines });
      const foreign = await request('GET', `${url}/orders/${body.orderId}`, {
        token: stack.token(uniqueName('eve')),
      });
      const unknown = await request('GET', `${url}/orders/${randomUUID()}`, { token });
      expect(foreign.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(foreign.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect({ ...(foreign.body as object), detail: 'x', instance: 'x' }).toEqual({
        ...(unknown.body as object),
        detail: 'x',
        instance: 'x',
      });
      expect((await request('GET', `${url}/orders/not-a-uuid`, { token })).status).toBe(404);
      const admin = await request<OrderSnapshot>('GET', `${url}/orders/${body.orderId}`, {
        token: stack.token('ops', { admin: true }),
      });
      expect(admin.status).toBe(200);
      expect(admin.body.customerId).toBe(customer);
    });
  });

  describe('GET /orders', () => {
    it('lists only the caller’s orders, newest first, in keyset pages', async () => {
      const dave = stack.token(uniqueName('dave'));
      const placed: string[] = [];
      for (let i = 0; i < 5; i++) placed.push((await placeOrder(url, dave, { items: lines })).body.orderId);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = await request<{ items: OrderSnapshot[]; nextCursor: string | null }>(
          'GET',
          `${url}/orders${query}`,
          { token: dave },
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((o) => o.orderId));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...placed].reverse());
      expect(pages).toBe(3);
      const all = await request<{ items: OrderSnapshot[]; nextCursor: string | null }>(
        'GET',
        `${url}/orders`,
        { token: dave },
      );
      expect(all.body).toMatchObject({ nextCursor: null });
      expect(all.body.items[0].history).toHaveLength(1);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=bogus', 'cursor'],
    ])('answers 400 for %s', async (query, field) => {
      const res = await request('GET', `${url}/orders?${query}`, { token });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, errors: [{ field }] });
    });
  });

  describe('bad input', () => {
    const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
    it.each<[string, string, unknown]>([
      ['missing items', '/items', { shippingAddress: address }],
      ['missing address', '/shippingAddress', { items: lines }],
      ['quantity 0', '/items/0/quantity', { items: [{ sku: 'A', quantity: 0 }], shippingAddress: address }],
      [
        'quantity 101',
        '/items/0/quantity',
        { items: [{ sku: 'A', quantity: 101 }], shippingAddress: address },
      ],
      [
        'quantity as text',
        '/items/0/quantity',
        { items: [{ sku: 'A', quantity: 'one' }], shippingAddress: address },
      ],
      [
        'duplicate skus',
        '/items/1/sku',
        {
          items: [
            { sku: 'A', quantity: 1 },
            { sku: 'A', quantity: 1 },
          ],
          shippingAddress: address,
        },
      ],
      ['unknown property', '/priceCents', { items: lines, shippingAddress: address, priceCents: 1 }],
      [
        'bad country',
        '/shippingAddress/country',
        { items: lines, shippingAddress: { ...address, country: 'Germany' } },
      ],
      ['not an object', '/', [1, 2]],
    ])('%s → 400 problem+json naming %s', async (_what, field, body) => {
      const res = await request<{ errors: { field: string }[] }>('POST', `${url}/orders`, { token, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status: 400,
        detail: expect.any(String),
      });
      expect(res.body.errors.map((e) => e.field)).toContain(field);
    });

    it('answers 413 for a body over 64 KiB and 400/415 for non-JSON, never 5xx', async () => {
      const big = { items: lines, shippingAddress: { ...address, name: 'x'.repeat(70 * 1024) } };
      expect((await request('POST', `${url}/orders`, { token, body: big })).status).toBe(413);
      const broken = await request('POST', `${url}/orders`, {
        token,
        rawBody: '{"items": [',
        headers: { 'content-type': 'application/json' },
      });
      expect(broken.status).toBe(400);
      const text = await request('POST', `${url}/orders`, {
        token,
        rawBody: 'items=1',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      const empty = await request('POST', `${url}/orders`, { token });
      expect(empty.status).toBe(400);
      for (const res of [broken, text, empty])
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    });
  });
});
