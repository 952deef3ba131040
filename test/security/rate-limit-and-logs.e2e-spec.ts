import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import {
  placeOrder,
  placeShippedOrder,
  request,
  SagaStack,
  SseClient,
  SYSTEM_APPS,
  TEST_JWT_SECRET,
  uniqueName,
} from '@orderflow/testing';

const APPS = SYSTEM_APPS;

/**
 * What only the apps as this test's processes can show (test/e2e-targets.js): order-service's
 * per-customer rate limit, set low here, and the apps' own logs, which must hold no secret or token.
 */
describe('security: rate limit and logs (e2e)', () => {
  let stack: SagaStack;
  const alice = uniqueName('alice');
  let aliceToken: string;
  let aliceOrder: string;

  beforeAll(async () => {
    stack = await SagaStack.start({ appEnv: { 'order-service': { ORDER_RATE_LIMIT_PER_MIN: '5' } } });
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
