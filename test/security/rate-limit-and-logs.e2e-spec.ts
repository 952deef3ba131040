import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import {
  DEMO_ADDRESS,
  placeOrder,
  placeShippedOrder,
  request,
  SagaStack,
  SseClient,
  SYSTEM_APPS,
  TEST_JWT_SECRET,
  uniqueName,
  waitFor,
} from '@orderflow/testing';

const APPS = SYSTEM_APPS;

/**
 * What only the apps as this test's processes can show (test/e2e-targets.js): order-service's
 * per-customer rate limit and its load shedding, both set low here, and the apps' own logs, which
 * must hold no secret or token.
 */
describe('security: rate limit and logs (e2e)', () => {
  let stack: SagaStack;
  const alice = uniqueName('alice');
  let aliceToken: string;
  let aliceOrder: string;

  beforeAll(async () => {
    stack = await SagaStack.start({
      appEnv: { 'order-service': { ORDER_RATE_LIMIT_PER_MIN: '5', HTTP_MAX_IN_FLIGHT: '3' } },
    });
    aliceToken = stack.token(alice);
    aliceOrder = await placeShippedOrder(stack.url('order-service'), aliceToken, {
      items: [{ sku: 'SKU-1', quantity: 1 }],
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('rate-limits POST /orders per customer: 429 problem+json with Retry-After; others are not affected', async () => {
    const greedy = stack.token(uniqueName('greedy'));
    const answers: Awaited<ReturnType<typeof placeOrder>>[] = [];
    for (let i = 0; i < 7; i++)
      answers.push(
        await placeOrder(stack.url('order-service'), greedy, { items: [{ sku: 'SKU-5', quantity: 1 }] }),
      );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 429, 429]);
    expect(Number(answers[5].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answers[5].headers.get('content-type')).toMatch(/application\/problem\+json/);
    const other = await placeOrder(stack.url('order-service'), stack.token(uniqueName('patient')), {
      items: [{ sku: 'SKU-5', quantity: 1 }],
    });
    expect(other.status).toBe(202);
  });

  it('sheds load past HTTP_MAX_IN_FLIGHT: 503 problem+json with Retry-After, having done nothing', async () => {
    const orders = stack.url('order-service');
    const crowd = stack.token(uniqueName('crowd'));
    const items = [{ sku: 'SKU-5', quantity: 1 }];
    const held = [1, 2, 3].map(() => postSlowly(orders, crowd, { items, shippingAddress: DEMO_ADDRESS }));
    await waitFor('3 requests in progress', async () => (await activeRequests(orders)) === 3);

    const key = randomUUID();
    const refused = await placeOrder(orders, crowd, { items }, { idempotencyKey: key });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:orderflow:problem:overloaded', status: 503 });
    expect((await request('GET', `${orders}/health/ready`)).status).toBe(200);

    expect((await Promise.all(held.map((h) => h.finish()))).map((r) => r.status)).toEqual([202, 202, 202]);
    const retried = await placeOrder(orders, crowd, { items }, { idempotencyKey: key });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBeNull(); // the refused attempt stored nothing
    const listed = await request<{ items: unknown[] }>('GET', `${orders}/orders`, { token: crowd });
    expect(listed.body.items).toHaveLength(4);
  });

  it('writes no secret or token into any log, whatever the requests carried', async () => {
    const wrongKey = jwt.sign({ roles: ['admin'] }, 'not-the-secret-0123456789-abcdefghijklmn', {
      subject: alice,
      expiresIn: 600,
    });
    const expired = jwt.sign({ roles: [], exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, {
      subject: alice,
    });
    const tokens = [aliceToken, wrongKey, expired];
    const routes = [
      `${stack.url('order-service')}/orders/${aliceOrder}`,
      `${stack.url('payment-service')}/payments?orderId=${aliceOrder}`,
      `${stack.url('shipping-service')}/shipments?orderId=${aliceOrder}`,
      `${stack.url('notification-service')}/notifications?orderId=${aliceOrder}`,
      `${stack.url('inventory-service')}/products/SKU-1`,
      `${stack.url('gateway')}/no-such-route`,
    ];
    for (const token of tokens) {
      for (const url of routes) await request('GET', url, { token });
      await request('POST', `${stack.url('order-service')}/orders`, {
        token,
        rawBody: '{"items": [',
        headers: { 'content-type': 'application/json' },
      });
      await request('PUT', `${stack.url('inventory-service')}/products/SKU-1`, { token, body: { name: 1 } });
      const sse = await SseClient.open(`${stack.url('gateway')}/orders/${aliceOrder}/events`, {
        authorization: `Bearer ${token}`,
      });
      await sse.close();
      await socketHandshake(stack.url('gateway'), token);
    }

    for (const app of APPS) {
      const log = readFileSync(stack.logFile(app)!, 'utf8');
      expect({ app, logged: log.length > 0 }).toEqual({ app, logged: true });
      expect({ app, secret: log.includes(TEST_JWT_SECRET) }).toEqual({ app, secret: false });
      for (const token of tokens) expect({ app, token: log.includes(token) }).toEqual({ app, token: false });
    }
  });
});

/** Connects to the gateway's Socket.IO namespace with `token`; resolves on connect or refusal. */
function socketHandshake(gatewayUrl: string, token: string): Promise<void> {
  const socket = io(`${gatewayUrl}/orders`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  return new Promise<void>((resolve) => {
    socket.on('connect', () => resolve());
    socket.on('connect_error', () => resolve());
  }).finally(() => socket.close());
}

/** A POST whose headers and first half of the body are sent now, and the rest on `finish()`. */
function postSlowly(baseUrl: string, token: string, body: unknown) {
  const json = Buffer.from(JSON.stringify(body));
  const req = httpRequest(`${baseUrl}/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': String(json.length),
    },
  });
  const answered = new Promise<{ status: number }>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.once('error', reject);
  });
  const half = Math.floor(json.length / 2);
  req.write(json.subarray(0, half));
  return { finish: () => (req.end(json.subarray(half)), answered) };
}

/** order-service's `http.server.active_requests`, from its Prometheus endpoint. */
async function activeRequests(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(/^http_server_active_requests(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}
