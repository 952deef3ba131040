import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import {
  placeOrder,
  placeShippedOrder,
  request,
  SagaStack,
  seedProduct,
  SseClient,
  SYSTEM_APPS,
  uniqueName,
  waitForStatus,
} from '@orderflow/testing';

/**
 * Authentication, ownership, roles and leak checks against the running apps: processes of this
 * test or an already-running stack (E2E_TARGET). Every response seen is kept and scanned at the end
 * for secrets, tokens and stack frames. Rate limits and log contents: rate-limit-and-logs.e2e-spec.ts.
 */
describe('security (e2e)', () => {
  let stack: SagaStack;
  const seen: string[] = [];
  const alice = uniqueName('alice');
  const mallory = uniqueName('mallory');
  const sku = `${uniqueName('sec')}-item`;
  let aliceToken: string;
  let malloryToken: string;
  let aliceOrder: string;

  const call = async (method: string, url: string, options: Parameters<typeof request>[2] = {}) => {
    const res = await request(method, url, options);
    seen.push(`${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${JSON.stringify(res.body)}`);
    return res;
  };

  beforeAll(async () => {
    stack = await SagaStack.start({
      apps: SYSTEM_APPS,
    });
    aliceToken = stack.token(alice);
    malloryToken = stack.token(mallory);
    await seedProduct(stack.url('inventory-service'), stack.token('ops', { admin: true }), sku, {
      priceCents: 100,
      available: 10,
    });
    aliceOrder = await placeShippedOrder(stack.url('order-service'), aliceToken, {
      items: [{ sku, quantity: 1 }],
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: Record<string, () => string> = {
    'alg none': () =>
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: alice, roles: ['admin'], exp: now() + 600 })}.`,
    'wrong secret': () =>
      jwt.sign({ roles: [] }, 'not-the-secret-0123456789-abcdefghijklmn', { subject: alice, expiresIn: 600 }),
    expired: () => jwt.sign({ roles: [], exp: now() - 60 }, stack.jwtSecret, { subject: alice }),
    'missing sub': () => jwt.sign({ roles: ['admin'] }, stack.jwtSecret, { expiresIn: 600 }),
    'RS256 signed': () =>
      jwt.sign({ roles: ['admin'] }, privateKey, { algorithm: 'RS256', subject: alice, expiresIn: 600 }),
    // HS/RS confusion: HS256 with the RSA public key as the HMAC secret.
    'HS256 with the public key': () =>
      `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: alice, roles: ['admin'], exp: now() + 600 })}.` +
      createHmac('sha256', publicPem).update('x').digest('base64url'),
    'HS512 with the secret': () =>
      jwt.sign({ roles: ['admin'] }, stack.jwtSecret, { algorithm: 'HS512', subject: alice, expiresIn: 600 }),
    malformed: () => 'not.a.jwt',
  };

  const protectedRoutes = (): [string, string, unknown?][] => [
    ['GET', `${stack.url('order-service')}/orders`],
    ['POST', `${stack.url('order-service')}/orders`, { items: [{ sku: 'SKU-1', quantity: 1 }] }],
    ['GET', `${stack.url('payment-service')}/payments?orderId=${aliceOrder}`],
    ['GET', `${stack.url('shipping-service')}/shipments?orderId=${aliceOrder}`],
    ['GET', `${stack.url('notification-service')}/notifications?orderId=${aliceOrder}`],
    ['PUT', `${stack.url('inventory-service')}/products/${sku}`, { name: 'x', priceCents: 1, available: 1 }],
  ];

  it.each(Object.keys(badTokens))(
    'refuses a token with %s: 401 problem+json on HTTP and SSE, unauthorized on Socket.IO',
    async (kind) => {
      const token = badTokens[kind]();
      for (const [method, url, body] of protectedRoutes()) {
        const res = await call(method, url, { token, body });
        expect({ url, status: res.status }).toEqual({ url, status: 401 });
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      }
      const sse = await SseClient.open(`${stack.url('gateway')}/orders/${aliceOrder}/events`, {
        authorization: `Bearer ${token}`,
      });
      expect(sse.response.status).toBe(401);
      await sse.close();
      await expect(connectError(stack.url('gateway'), token)).resolves.toBe('unauthorized');
    },
  );

  it("answers another customer's order exactly like an unknown one (REST, Socket.IO, SSE)", async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const foreign = await call('GET', `${stack.url('order-service')}/orders/${aliceOrder}`, {
      token: malloryToken,
    });
    const missing = await call('GET', `${stack.url('order-service')}/orders/${unknown}`, {
      token: malloryToken,
    });
    expect(foreign.status).toBe(404);
    // Same answer apart from the id itself: nothing tells a foreign order from a missing one.
    const normalize = (body: unknown, id: string) =>
      JSON.parse(JSON.stringify(body).replaceAll(id, '<id>')) as unknown;
    expect(normalize(foreign.body, aliceOrder)).toEqual(normalize(missing.body, unknown));
    const list = await call('GET', `${stack.url('order-service')}/orders`, { token: malloryToken });
    expect((list.body as { items: unknown[] }).items).toEqual([]);
    for (const [app, path] of [
      ['payment-service', 'payments'],
      ['shipping-service', 'shipments'],
      ['notification-service', 'notifications'],
    ]) {
      const own = await call('GET', `${stack.url(app)}/${path}?orderId=${aliceOrder}`, { token: aliceToken });
      expect((own.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
      const other = await call('GET', `${stack.url(app)}/${path}?orderId=${aliceOrder}`, {
        token: malloryToken,
      });
      expect({ app, status: other.status, body: other.body }).toEqual({
        app,
        status: 200,
        body: { items: [], nextCursor: null },
      });
    }
    const sse = await SseClient.open(`${stack.url('gateway')}/orders/${aliceOrder}/events`, {
      authorization: `Bearer ${malloryToken}`,
    });
    expect(sse.response.status).toBe(404);
    await sse.close();
    const socket = io(`${stack.url('gateway')}/orders`, {
      auth: { token: malloryToken },
      transports: ['websocket'],
    });
    const pushed: unknown[] = [];
    socket.on('order.status', (event) => pushed.push(event));
    try {
      const ack = await socket.timeout(5_000).emitWithAck('order.subscribe', { orderId: aliceOrder });
      expect(ack).toEqual({ ok: false, error: 'not_found' });
      // Another order of alice's, while mallory listens: nothing of it reaches mallory.
      const second = await placeOrder(stack.url('order-service'), aliceToken, {
        items: [{ sku, quantity: 1 }],
      });
      await waitForStatus(stack.url('order-service'), aliceToken, second.body.orderId, 'SHIPPING_SCHEDULED', {
        timeoutMs: 60_000,
      });
      expect(pushed).toEqual([]);
    } finally {
      socket.close();
    }
  });

  it('refuses admin endpoints without the admin role (403) and allows them with it', async () => {
    const body = { name: 'Security test', priceCents: 100, available: 5 };
    const denied = await call('PUT', `${stack.url('inventory-service')}/products/${sku}`, {
      token: malloryToken,
      body,
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const allowed = await call('PUT', `${stack.url('inventory-service')}/products/${sku}`, {
      token: stack.token('ops', { admin: true }),
      body,
    });
    expect(allowed.status).toBeLessThan(300);
  });

  it('leaks no secret, token or stack trace in responses', async () => {
    // Provoke error paths as well: bad JSON, wrong types, a huge body.
    await call('POST', `${stack.url('order-service')}/orders`, {
      token: aliceToken,
      rawBody: '{"items": [',
      headers: { 'content-type': 'application/json' },
    });
    await call('POST', `${stack.url('order-service')}/orders`, {
      token: aliceToken,
      body: { items: 'x'.repeat(70_000) },
    });
    await call('GET', `${stack.url('order-service')}/orders/%E0%A4%A`, { token: aliceToken });
    expect(seen.length).toBeGreaterThan(50);
    for (const text of seen) {
      expect(text).not.toContain(stack.jwtSecret);
      for (const token of [aliceToken, malloryToken]) expect(text).not.toContain(token);
      expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)|node_modules|\/dist\//);
    }
  });
});

function connectError(gatewayUrl: string, token: string): Promise<string> {
  const socket = io(`${gatewayUrl}/orders`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  return new Promise<string>((resolve, reject) => {
    socket.on('connect', () => reject(new Error('connected with a bad token')));
    socket.on('connect_error', (error) => resolve(error.message));
  }).finally(() => socket.close());
}
