import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { DEV_JWT_SECRET, signToken } from '@orderflow/service-defaults';
import {
  AppSupervisor,
  createTestDatabase,
  DECLINED_PATH,
  FakeOrder,
  freePort,
  ManagedApp,
  OrderStatusFeed,
  REPO_ROOT,
  SseClient,
  SUCCESS_PATH,
  uniqueName,
  waitFor,
} from '@orderflow/testing';
import {
  connectClient,
  connectError,
  idleTransport,
  LiveClient,
  openClient,
  statusesOf,
  subscribe,
  waitForStatuses,
} from './support';

// The gateway alone, fed by OrderStatusChanged events on the real Kafka topic (as order-service
// writes them), two instances sharing one consumer group, one database and Redis.
describe('gateway: live order status', () => {
  const run = uniqueName('gw');
  const customer = (name: string) => `${name}-${run}`;
  const token = (name: string) => signToken(customer(name), DEV_JWT_SECRET);
  const clients: LiveClient[] = [];
  const track = (client: LiveClient) => (clients.push(client), client);
  let supervisor: AppSupervisor;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let feed: OrderStatusFeed;
  let g1: ManagedApp;
  let g2: ManagedApp;

  /** Publishes the statuses of `path` (all, or from `from` to `to`) for `order`. */
  const publishPath = (order: FakeOrder, path: string[], reason: string | null = null) =>
    feed.publish(
      ...path.map((status, i) => order.next(status as never, i === path.length - 1 ? reason : null)),
    );

  beforeAll(async () => {
    db = await createTestDatabase('gw');
    const prefix = `${run}.`;
    feed = await OrderStatusFeed.connect(prefix);
    supervisor = new AppSupervisor({
      root: REPO_ROOT,
      logDir: join(REPO_ROOT, 'tmp/logs/gateway-e2e'),
      env: {
        DATABASE_URL: db.url,
        MESSAGING_TOPIC_PREFIX: prefix,
        GATEWAY_CONSUMER_GROUP: `gateway-${run}`,
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        SOCKET_IO_REDIS_STREAM: `orderflow:${run}`,
        SOCKET_AUTH_TIMEOUT_MS: '1500',
        SSE_HEARTBEAT_MS: '1000',
        LOG_LEVEL: 'warn',
      },
    });
    const port1 = await freePort();
    let port2 = await freePort();
    while (port2 === port1) port2 = await freePort(); // neither is listening yet
    g1 = supervisor.start({ name: 'gateway', instance: `gateway-1-${run}`, port: port1 });
    g2 = supervisor.start({ name: 'gateway', instance: `gateway-2-${run}`, port: port2 });
    await Promise.all([supervisor.waitReady(g1), supervisor.waitReady(g2)]);
  }, 120_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.socket.disconnect();
  });

  afterAll(async () => {
    await supervisor?.stopAll();
    await feed?.close();
    await db?.drop();
  });

  it('reports Redis in readiness', async () => {
    const body = (await (await fetch(`${g1.url}/health/ready`)).json()) as {
      checks: Record<string, unknown>;
    };
    expect(body.checks).toEqual(
      expect.objectContaining({ redis: { status: 'up' }, database: { status: 'up' } }),
    );
  });

  it('refuses missing, malformed, wrongly signed, expired and alg:none tokens with "unauthorized"', async () => {
    const sub = customer('mallory');
    const expired = jwt.sign({ roles: [], exp: Math.floor(Date.now() / 1000) - 60 }, DEV_JWT_SECRET, {
      subject: sub,
    });
    const wrongKey = jwt.sign({ roles: [] }, 'another-secret-of-at-least-32-characters!!', { subject: sub });
    const none = jwt.sign({ roles: [] }, '', { subject: sub, algorithm: 'none' });
    const results = await Promise.all(
      [undefined, 'garbage', wrongKey, expired, none].map((t) => connectError(g1.url, t)),
    );
    expect(results).toEqual(['unauthorized', 'unauthorized', 'unauthorized', 'unauthorized', 'unauthorized']);
    expect(await connectError(g1.url, token('mallory'))).toBe('connected');
  });

  it("mints a dev sign-in token outside production (the storefront's sign-in form), refusing bad ids", async () => {
    const devToken = async (customerId: unknown) =>
      fetch(`${g1.url}/api/dev-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId }),
      });
    const minted = await devToken(customer('oscar'));
    expect(minted.status).toBe(200);
    const { token: signedIn } = (await minted.json()) as { token: string };
    expect(jwt.decode(signedIn)).toMatchObject({ sub: customer('oscar') });
    expect(await connectError(g2.url, signedIn)).toBe('connected');
    expect((await devToken('not ok!')).status).toBe(400);
  });

  it('closes a transport that never authenticates', async () => {
    const closedAfter = await idleTransport(g1.url);
    expect(closedAfter).toBeGreaterThanOrEqual(1_000);
    expect(closedAfter).toBeLessThan(10_000);
  });

  it("pushes every status of the caller's orders in version order, across instances, and nothing of others'", async () => {
    const alice = track(await connectClient(g1.url, token('alice')));
    const bob = track(await connectClient(g2.url, token('bob')));
    const aliceOrder = new FakeOrder(customer('alice'));
    const bobOrder = new FakeOrder(customer('bob'));
    await publishPath(aliceOrder, SUCCESS_PATH);
    await publishPath(bobOrder, DECLINED_PATH, 'card_declined');

    await waitForStatuses(alice, aliceOrder.orderId, 4);
    await waitForStatuses(bob, bobOrder.orderId, 4);
    expect(statusesOf(alice, aliceOrder.orderId)).toEqual([
      '1:PENDING',
      '2:INVENTORY_RESERVED',
      '3:PAID',
      '4:SHIPPING_SCHEDULED',
    ]);
    expect(statusesOf(bob, bobOrder.orderId)).toEqual([
      '1:PENDING',
      '2:INVENTORY_RESERVED',
      '3:PAYMENT_FAILED',
      '4:CANCELLED',
    ]);
    expect(bob.received.at(-1)).toEqual({
      orderId: bobOrder.orderId,
      status: 'CANCELLED',
      version: 4,
      occurredAt: expect.any(String),
      reason: 'card_declined',
    });
    expect(alice.received.every((p) => p.orderId === aliceOrder.orderId)).toBe(true);
    expect(bob.received.every((p) => p.orderId === bobOrder.orderId)).toBe(true);
  });

  it('answers order.subscribe from the projection: own order, foreign and unknown orders, bad payloads', async () => {
    const carol = track(await connectClient(g2.url, token('carol')));
    const dave = track(await connectClient(g1.url, token('dave')));
    const order = new FakeOrder(customer('carol'));
    const events = SUCCESS_PATH.slice(0, 3).map((s) => order.next(s));
    await feed.publish(...events);
    await waitForStatuses(carol, order.orderId, 3);

    expect(await subscribe(carol, order.orderId)).toEqual({ ok: true, order: events[2].order });
    expect(await subscribe(dave, order.orderId)).toEqual({ ok: false, error: 'not_found' });
    expect(await subscribe(dave, '00000000-0000-4000-8000-000000000000')).toEqual({
      ok: false,
      error: 'not_found',
    });
    expect(await subscribe(carol, 42)).toEqual({ ok: false, error: 'invalid_request' });
    expect(await subscribe(carol, 'x'.repeat(200))).toEqual({ ok: false, error: 'invalid_request' });
    expect(dave.received).toEqual([]);
  });

  it('disconnects a client that sends oversized messages or floods', async () => {
    const big = track(await connectClient(g1.url, token('erin')));
    const bigGone = new Promise<string>((resolve) => big.socket.once('disconnect', resolve));
    big.socket.emit('order.subscribe', { orderId: 'x'.repeat(64 * 1024) });
    expect(await bigGone).toBe('transport close');

    const flood = track(await connectClient(g1.url, token('erin')));
    const floodGone = new Promise<string>((resolve) => flood.socket.once('disconnect', resolve));
    const acks: string[] = [];
    for (let i = 0; i < 200; i++) {
      flood.socket.emit('order.subscribe', { orderId: `o-${i}` }, (ack: { ok: boolean; error?: string }) =>
        acks.push(ack.error ?? 'ok'),
      );
    }
    expect(await floodGone).toBe('io server disconnect');
    expect(acks).toContain('rate_limited');
  });

  it('delivers every status of 200 orders exactly once to every client, with clients on both instances', async () => {
    const customers = Array.from({ length: 20 }, (_, i) => `load${i}`);
    const perCustomer = new Map<string, LiveClient[]>();
    for (const name of customers) {
      const pair = await Promise.all([
        connectClient(g1.url, token(name)),
        connectClient(g2.url, token(name)),
      ]);
      pair.forEach(track);
      perCustomer.set(customer(name), pair);
    }
    const orders = Array.from(
      { length: 200 },
      (_, i) => new FakeOrder(customer(customers[i % customers.length])),
    );
    // Interleave: step k of every order, then step k+1, so partitions and instances work concurrently.
    for (const status of SUCCESS_PATH) await feed.publish(...orders.map((o) => o.next(status)));

    const all = [...perCustomer.values()].flat();
    await waitFor('every client to get 40 statuses', () => all.every((c) => c.received.length >= 40), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    for (const order of orders) {
      for (const client of perCustomer.get(order.customerId)!) {
        expect(statusesOf(client, order.orderId)).toEqual([
          '1:PENDING',
          '2:INVENTORY_RESERVED',
          '3:PAID',
          '4:SHIPPING_SCHEDULED',
        ]);
      }
    }
    expect(all.map((c) => c.received.length)).toEqual(all.map(() => 40));
  });

  it('pushes a redelivered status again: a push that never left after the commit is not lost', async () => {
    const client = track(await connectClient(g1.url, token('kate')));
    const order = new FakeOrder(customer('kate'));
    const rejected = [order.next('PENDING'), order.next('REJECTED', 'out_of_stock')];
    const [, rejectedId] = await feed.publish(...rejected);
    await waitForStatuses(client, order.orderId, 2);

    await feed.publishAgain(rejectedId, rejected[1]);
    await waitForStatuses(client, order.orderId, 3);
    expect(statusesOf(client, order.orderId)).toEqual(['1:PENDING', '2:REJECTED', '2:REJECTED']);
  });

  it('recovers a briefly disconnected socket: the missed statuses arrive on reconnect', async () => {
    const client = track(openClient(g1.url, token('frank')));
    await new Promise<void>((resolve) => client.socket.once('connect', () => resolve()));
    const witness = track(await connectClient(g2.url, token('frank')));
    const order = new FakeOrder(customer('frank'));
    await feed.publish(order.next('PENDING'));
    await waitForStatuses(client, order.orderId, 1);

    client.socket.io.engine.close(); // a network drop, not a deliberate disconnect
    await waitFor('client to notice', () => !client.socket.connected);
    await feed.publish(...SUCCESS_PATH.slice(1).map((s) => order.next(s)));
    await waitForStatuses(witness, order.orderId, 4);

    client.socket.connect();
    await waitFor('reconnect', () => client.socket.connected);
    expect(client.socket.recovered).toBe(true);
    await waitForStatuses(client, order.orderId, 4);
    expect(statusesOf(client, order.orderId)).toEqual([
      '1:PENDING',
      '2:INVENTORY_RESERVED',
      '3:PAID',
      '4:SHIPPING_SCHEDULED',
    ]);
  });

  it('lets a client that reconnects to the other instance converge through order.subscribe', async () => {
    const first = track(await connectClient(g1.url, token('grace')));
    const order = new FakeOrder(customer('grace'));
    await feed.publish(order.next('PENDING'), order.next('INVENTORY_RESERVED'));
    await waitForStatuses(first, order.orderId, 2);
    first.socket.disconnect();
    const last = order.next('PAYMENT_FAILED', 'insufficient_funds');
    await feed.publish(last, order.next('CANCELLED', 'insufficient_funds'));

    const second = track(await connectClient(g2.url, token('grace')));
    await waitFor('the snapshot to reach CANCELLED', async () => {
      const ack = await subscribe(second, order.orderId);
      return ack.ok && ack.order.status === 'CANCELLED' && ack.order.version === 4;
    });
  });

  it('refuses handshakes past SOCKET_MAX_CONNECTIONS, and lets a retrying client in once a socket leaves', async () => {
    // An instance of its own (own group, in-memory adapter), so the two above are not rebalanced.
    const capped = supervisor.start({
      name: 'gateway',
      instance: `gateway-capped-${run}`,
      port: await freePort(),
      env: { SOCKET_MAX_CONNECTIONS: '2', GATEWAY_CONSUMER_GROUP: `gateway-capped-${run}`, REDIS_URL: '' },
    });
    try {
      await supervisor.waitReady(capped);
      const first = track(await connectClient(capped.url, token('lena')));
      track(await connectClient(capped.url, token('lena')));

      const handshake = await fetch(`${capped.url}/socket.io/?EIO=4&transport=polling`);
      expect(handshake.status).toBe(403);
      expect(await handshake.json()).toEqual({ code: 4, message: 'at its limit of 2 connections' });
      const waiting = track(openClient(capped.url, token('lena'), { reconnection: true }));
      await new Promise((resolve) => waiting.socket.once('connect_error', resolve));
      expect(waiting.socket.connected).toBe(false);

      first.socket.disconnect();
      await waitFor('the retrying client to get in', () => waiting.socket.connected, { timeoutMs: 20_000 });
      const metrics = await (await fetch(`${capped.url}/metrics`)).text();
      expect(
        Number(/^gateway_connections_refused_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]),
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await supervisor.stop(capped);
    }
  });

  describe('SSE fallback', () => {
    const sseUrl = (app: ManagedApp, orderId: string) => `${app.url}/orders/${orderId}/events`;

    it('streams the current status, then each change, on every instance; resumes after Last-Event-ID', async () => {
      const order = new FakeOrder(customer('heidi'));
      const watcher = track(await connectClient(g1.url, token('heidi')));
      await feed.publish(order.next('PENDING'));
      await waitForStatuses(watcher, order.orderId, 1);

      const auth = { authorization: `Bearer ${token('heidi')}` };
      const onG1 = await SseClient.open(sseUrl(g1, order.orderId), auth);
      const onG2 = await SseClient.open(`${sseUrl(g2, order.orderId)}?access_token=${token('heidi')}`);
      try {
        expect(onG1.response.status).toBe(200);
        expect(onG1.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
        await waitFor('first events', () => onG1.events.length >= 1 && onG2.events.length >= 1);
        await feed.publish(...SUCCESS_PATH.slice(1).map((s) => order.next(s)));
        for (const stream of [onG1, onG2]) {
          await waitFor('4 SSE events', () => stream.events.length >= 4, { timeoutMs: 30_000 });
          expect(stream.events.map((e) => [e.id, e.event, JSON.parse(e.data).status])).toEqual([
            ['1', 'order.status', 'PENDING'],
            ['2', 'order.status', 'INVENTORY_RESERVED'],
            ['3', 'order.status', 'PAID'],
            ['4', 'order.status', 'SHIPPING_SCHEDULED'],
          ]);
        }
        await waitFor('a heartbeat comment', () => onG2.comments.length > 0, { timeoutMs: 5_000 });
      } finally {
        await Promise.all([onG1.close(), onG2.close()]);
      }

      const resumed = await SseClient.open(sseUrl(g2, order.orderId), { ...auth, 'last-event-id': '2' });
      try {
        await waitFor('resumed events', () => resumed.events.length >= 2);
        expect(resumed.events.map((e) => e.id)).toEqual(['3', '4']);
        expect(JSON.parse(resumed.events[1].data)).toEqual({
          orderId: order.orderId,
          status: 'SHIPPING_SCHEDULED',
          version: 4,
          occurredAt: expect.any(String),
          reason: null,
        });
      } finally {
        await resumed.close();
      }
    });

    it('answers 404 problem+json for foreign and unknown orders, 401 without a valid token', async () => {
      const order = new FakeOrder(customer('ivan'));
      const watcher = track(await connectClient(g1.url, token('ivan')));
      await feed.publish(order.next('PENDING'));
      await waitForStatuses(watcher, order.orderId, 1);

      const asOther = await fetch(sseUrl(g1, order.orderId), {
        headers: { authorization: `Bearer ${token('judy')}` },
      });
      const unknown = await fetch(sseUrl(g1, '3f0c1a2b-0000-4000-8000-000000000000'), {
        headers: { authorization: `Bearer ${token('judy')}` },
      });
      const anonymous = await fetch(sseUrl(g1, order.orderId));
      expect([asOther.status, unknown.status, anonymous.status]).toEqual([404, 404, 401]);
      expect(asOther.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await asOther.json()).toEqual(expect.objectContaining({ status: 404 }));
    });
  });

  it('when an instance is killed mid-flow, its clients reconnect to the other one and converge', async () => {
    const names = ['kim', 'lee', 'max', 'ned'];
    const onG2 = await Promise.all(names.map((n) => connectClient(g2.url, token(n))));
    onG2.forEach(track);
    const orders = names.map((n) => new FakeOrder(customer(n)));
    await feed.publish(...orders.flatMap((o) => [o.next('PENDING'), o.next('INVENTORY_RESERVED')]));
    await Promise.all(orders.map((o, i) => waitForStatuses(onG2[i], o.orderId, 2)));

    await supervisor.kill(g2);
    await feed.publish(...orders.flatMap((o) => [o.next('PAID'), o.next('SHIPPING_SCHEDULED')]));

    // The client recipe: on losing the connection, connect anywhere and re-read the snapshot.
    const moved = await Promise.all(names.map((n) => connectClient(g1.url, token(n))));
    moved.forEach(track);
    await Promise.all(
      orders.map((o, i) =>
        waitFor(
          `${o.orderId} to converge on SHIPPING_SCHEDULED`,
          async () => {
            const pushed = moved[i].received.some((p) => p.orderId === o.orderId && p.version === 4);
            const ack = await subscribe(moved[i], o.orderId);
            return pushed || (ack.ok && ack.order.version === 4);
          },
          { timeoutMs: 60_000, intervalMs: 500 },
        ),
      ),
    );
  });
});
