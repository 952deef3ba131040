import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { io, Socket } from 'socket.io-client';
import {
  DEAD_LETTER_HEADERS,
  deadLetterTopic,
  EVENT_CATALOG,
  EventType,
  TOPIC_PARTITIONS,
} from '@orderflow/contracts';
import { envelopeHeaders } from '@orderflow/messaging';
import {
  KAFKA_BROKERS,
  placeOrder,
  request,
  SagaStack,
  SYSTEM_APPS,
  uniqueName,
  waitFor,
  waitForStatus,
} from '@orderflow/testing';

/**
 * Bad input, generated: HTTP bodies, headers and paths; Socket.IO payloads and floods; malformed
 * events straight into every consumed topic. Expected: 4xx problem+json (never 5xx), an error ack
 * or a disconnect, dead letters, and apps that stay up with partitions that keep flowing.
 */
describe('fuzzing the running apps (e2e)', () => {
  let stack: SagaStack;
  let token: string;
  let admin: string;
  const customer = uniqueName('fuzz');
  const APPS = SYSTEM_APPS;
  const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

  beforeAll(async () => {
    stack = await SagaStack.start({ env: { GATEWAY_CONSUMER_GROUP: uniqueName('fuzz-gateway') } });
    token = stack.token(customer);
    admin = stack.token('fuzz-admin', { admin: true });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  const expectClientError = (what: string, res: { status: number; headers: Headers; body: unknown }) => {
    if (res.status >= 500)
      throw new Error(`${what} → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    if (res.status >= 400 && res.status !== 431) {
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((res.body as { status: number }).status).toBe(res.status);
    }
  };

  const poisonKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
  const oddString = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom(
      '\u0000',
      '\uFEFF',
      '\uD800',
      'ＳＫＵ－１',
      'SKU-1\n',
      '../../etc/passwd',
      "'; drop table orders;--",
      '%00',
    ),
  );
  const oddNumber = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1.5, -0),
  );
  const oddBody = fc.oneof(
    fc.jsonValue(),
    fc.record({
      items: fc.oneof(
        fc.array(fc.record({ sku: oddString, quantity: oddNumber }), { maxLength: 60 }),
        fc.jsonValue(),
      ),
      paymentToken: fc.oneof(oddString, fc.jsonValue()),
      shippingAddress: fc.oneof(fc.dictionary(oddString, oddString), fc.jsonValue()),
    }),
    fc.dictionary(poisonKeys, fc.jsonValue()),
  );
  // Raw bodies: JSON of the above, and nesting deep enough to hurt a recursive parser or validator.
  const oddRawBody = fc.oneof(
    oddBody.map((body) => JSON.stringify(body) ?? 'null'),
    fc.integer({ min: 50, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 50, max: 5_000 }).map((depth) => '{"items":'.repeat(depth) + '1' + '}'.repeat(depth)),
  );

  it('answers malformed order bodies with 4xx problem+json, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(oddRawBody, async (rawBody) => {
        const res = await request('POST', `${stack.url('order-service')}/orders`, {
          token,
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        expectClientError(`POST /orders ${rawBody.slice(0, 200)}`, res);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers odd paths, queries, headers and product bodies with 4xx, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        oddString,
        oddString,
        oddBody,
        fc.integer({ min: 0, max: 40_000 }),
        async (path, query, body, headerSize) => {
          const seg = encode(path) || '%20';
          const checks: [string, string, Parameters<typeof request>[2]][] = [
            ['GET', `${stack.url('order-service')}/orders/${seg}`, { token }],
            ['GET', `${stack.url('order-service')}/orders?limit=${encode(query)}&cursor=${seg}`, { token }],
            ['GET', `${stack.url('payment-service')}/payments?orderId=${seg}`, { token }],
            ['GET', `${stack.url('inventory-service')}/products/${seg}`, { token }],
            ['PUT', `${stack.url('inventory-service')}/products/${seg}`, { token: admin, body }],
            [
              'POST',
              `${stack.url('order-service')}/orders`,
              {
                token,
                body: {},
                headers: {
                  'idempotency-key': 'k'.repeat(headerSize),
                  'x-odd': 'v'.repeat(Math.min(headerSize, 8_000)),
                },
              },
            ],
          ];
          for (const [method, url, options] of checks) {
            const res = await request(method, url, options).catch((error: Error) => {
              // Node closes the socket on headers over its limit (16 KiB): a refusal, not a crash.
              if (headerSize > 8_000) return { status: 431, headers: new Headers(), body: null };
              throw error;
            });
            expectClientError(`${method} ${url}`, res);
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
    for (const app of APPS) expect((await fetch(`${stack.url(app)}/health/live`)).status).toBe(200);
  });

  it('answers malformed Socket.IO payloads with an error ack, and cuts off a flood', async () => {
    const socket = await connected(stack.url('gateway'), token);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.jsonValue(), fc.dictionary(poisonKeys, fc.jsonValue()), oddString),
          async (payload) => {
            const ack = await socket.timeout(5_000).emitWithAck('order.subscribe', payload);
            expect(ack).toEqual({
              ok: false,
              error: expect.stringMatching(/^(invalid_request|not_found|rate_limited)$/),
            });
            await new Promise((resolve) => setTimeout(resolve, 60)); // stay under the per-socket rate
          },
        ),
        { numRuns: RUNS },
      );
      socket.emit('no.such.event', { x: 1 });
      socket.emit('order.subscribe', 'x'.repeat(2_000_000)); // over the buffer limit → disconnect
      await waitFor('the oversized message to cut the socket', () => !socket.connected, {
        timeoutMs: 10_000,
      });
    } finally {
      socket.close();
    }
    const flooder = await connected(stack.url('gateway'), token);
    const acks: unknown[] = [];
    for (let i = 0; i < 400; i++)
      flooder.emit('order.subscribe', { orderId: randomUUID() }, (ack: unknown) => acks.push(ack));
    await waitFor(
      'the flood to be refused',
      () => acks.some((a) => (a as { error?: string }).error === 'rate_limited') || !flooder.connected,
      { timeoutMs: 10_000 },
    );
    flooder.close();
    const fresh = await connected(stack.url('gateway'), token);
    await expect(
      fresh.timeout(5_000).emitWithAck('order.subscribe', { orderId: randomUUID() }),
    ).resolves.toEqual({ ok: false, error: 'not_found' });
    fresh.close();
  });

  it('dead-letters malformed events in every consumed topic, keeps consuming, corrupts nothing', async () => {
    const kafka = new Kafka({ clientId: 'fuzz', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const byTopic = new Map<string, EventType[]>();
    for (const [type, entry] of Object.entries(EVENT_CATALOG)) {
      const topic = `${stack.topicPrefix}${entry.topic}`;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), type as EventType]);
    }
    const garbage = fc.sample(
      fc.record({
        value: fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string({ unit: 'binary', maxLength: 200 }),
        ),
        headers: fc.constantFrom('none', 'envelope', 'bad-id', 'bad-version'),
      }),
      { numRuns: 8, seed: 42 },
    );
    const sent: { topic: string; partition: number; marker: string }[] = [];
    for (const [topic, types] of byTopic) {
      for (let partition = 0; partition < TOPIC_PARTITIONS; partition++) {
        const g = garbage[(partition + sent.length) % garbage.length];
        const type = types[partition % types.length];
        const marker = `fuzz-${randomUUID()}`;
        const envelope = envelopeHeaders({
          eventId: randomUUID(),
          type,
          version: 1,
          occurredAt: new Date().toISOString(),
          producer: 'fuzz',
          correlationId: marker,
          causationId: null,
          trace: {},
        });
        const headers =
          g.headers === 'none'
            ? {}
            : g.headers === 'envelope'
              ? envelope
              : g.headers === 'bad-id'
                ? { ...envelope, 'event-id': 'not-a-uuid' }
                : { ...envelope, 'event-version': '999' };
        await producer.send({ topic, messages: [{ partition, key: marker, value: g.value, headers }] });
        sent.push({ topic, partition, marker });
      }
    }
    await producer.disconnect();
    // Behind the garbage on every partition: a real order must still go all the way.
    const placed = await placeOrder(stack.url('order-service'), token, {
      items: [{ sku: 'SKU-3', quantity: 1 }],
    });
    await waitForStatus(stack.url('order-service'), token, placed.body.orderId, 'SHIPPING_SCHEDULED', {
      timeoutMs: 90_000,
    });
    await waitFor(
      'the order_shipped notification',
      async () => {
        const res = await request<{ items: { kind: string }[] }>(
          'GET',
          `${stack.url('notification-service')}/notifications?orderId=${placed.body.orderId}`,
          { token },
        );
        return res.body.items.some((n) => n.kind === 'order_shipped');
      },
      { timeoutMs: 30_000 },
    );
    // Every malformed event is in a dead-letter topic of a group that consumes its topic.
    const dlqs = APPS.flatMap((app) => [deadLetterTopic(app), deadLetterTopic(`${stack.topicPrefix}${app}`)]);
    const lettered = new Set<string>();
    await waitFor(
      'every malformed event to be dead-lettered',
      async () => {
        for (const message of await readAll(kafka, dlqs)) {
          if (
            message.headers[DEAD_LETTER_HEADERS.originalTopic]?.startsWith(stack.topicPrefix) &&
            message.key
          )
            lettered.add(message.key);
        }
        return sent.every((s) => lettered.has(s.marker));
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; missing: ${sent
          .filter((s) => !lettered.has(s.marker))
          .map((s) => `${s.topic}/${s.partition}`)
          .join(', ')}`,
      );
    });
    // No state from the garbage: the customer has exactly the one real order; every app is up.
    const mine = await request<{ items: unknown[] }>('GET', `${stack.url('order-service')}/orders`, {
      token,
    });
    expect(mine.body.items).toHaveLength(1);
    for (const app of APPS) expect((await fetch(`${stack.url(app)}/health/ready`)).status).toBe(200);
  });
});

/** Lone surrogates cannot be percent-encoded (URIError): they become U+FFFD. */
function encode(text: string): string {
  return encodeURIComponent(
    text.replace(/[\uD800-\uDFFF]/g, (c, i: number) =>
      /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text.slice(i, i + 2)) ||
      /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text.slice(i - 1, i + 1))
        ? c
        : '\uFFFD',
    ),
  );
}

function connected(gatewayUrl: string, token: string): Promise<Socket> {
  const socket = io(`${gatewayUrl}/orders`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function readAll(
  kafka: Kafka,
  topics: string[],
): Promise<{ key: string | null; headers: Record<string, string> }[]> {
  const { readTopics } = await import('../../tools/chaos/src/topic-reader');
  const messages = await readTopics(kafka, topics, 30_000);
  return messages.map((m) => ({ key: m.key, headers: m.headers }));
}
