import { readFileSync } from 'node:fs';
import {
  OTLP_SPAN_KIND,
  OtlpReceiver,
  placeOrder,
  ReceivedSpan,
  SagaStack,
  seedProduct,
  SYSTEM_APPS,
  uniqueName,
  waitFor,
  waitForStatus,
} from '@orderflow/testing';
import { ancestry, brokenKafkaHops, describeTrace, kafkaHops, orphans, roots } from './trace-assertions';

const APPS = SYSTEM_APPS;

// The whole stack as real processes exporting OTLP to an in-test receiver: one order is one trace.
describe('one trace per order', () => {
  const receiver = new OtlpReceiver();
  let stack: SagaStack;
  const sku = uniqueName('SKU-TRACE');
  const customer = uniqueName('trace-customer');

  beforeAll(async () => {
    const endpoint = await receiver.start();
    stack = await SagaStack.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
    });
    await seedProduct(stack.url('inventory-service'), stack.token('ops', { admin: true }), sku, {
      priceCents: 1999,
      available: 10,
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    await receiver.stop();
  });

  it('covers all six apps in one connected tree whose Kafka hops are parent/child in causal order', async () => {
    const orderUrl = stack.url('order-service');
    const token = stack.token(customer);
    const placed = await placeOrder(orderUrl, token, {
      items: [{ sku, quantity: 1 }],
      paymentToken: 'tok_visa',
    });
    expect(placed.status).toBe(202);
    const { orderId } = placed.body;
    await waitForStatus(orderUrl, token, orderId, 'SHIPPING_SCHEDULED', { timeoutMs: 60_000 });

    const request = await waitFor('the POST /orders span', () =>
      receiver.spans.find(
        (s) =>
          s.service === 'order-service' &&
          s.kind === OTLP_SPAN_KIND.server &&
          s.name.startsWith('POST') &&
          s.parentSpanId === '',
      ),
    );
    // Wait until the last hop (the gateway's socket emit after the final status change) arrived,
    // and every span's parent: each process exports on its own schedule, so a parent can arrive
    // after its child's descendants.
    let trace: ReceivedSpan[] = [];
    await waitFor(
      'spans of all six apps, the gateway emit of SHIPPING_SCHEDULED and every parent in the order trace',
      () => {
        trace = receiver.trace(request.traceId);
        const services = new Set(trace.map((s) => s.service));
        return (
          APPS.every((app) => services.has(app)) &&
          finalEmit(trace, stack.topicPrefix) !== undefined &&
          orphans(trace).length === 0
        );
      },
      // Spans leave each process in batches (every 5 s); a loaded machine delays the last ones.
      { timeoutMs: 60_000 },
    ).catch((error: Error) => {
      const orphaned = orphans(trace).map((s) => `${s.service} ${s.name}`);
      throw new Error(
        `${error.message}; orphans: ${JSON.stringify(orphaned)}\n${describeTrace(receiver.trace(request.traceId))}`,
      );
    });

    expect(roots(trace)).toEqual([request]);
    expect(orphans(trace).map((s) => `${s.service} ${s.name}`)).toEqual([]);
    expect(brokenKafkaHops(trace)).toEqual([]);
    expect(
      trace.every(
        (s) =>
          s.attributes['orderflow.order.id'] === undefined || s.attributes['orderflow.order.id'] === orderId,
      ),
    ).toBe(true);

    // The chain behind the final push: request → ... → ShipmentScheduled → OrderStatusChanged → socket.
    const hops = kafkaHops(ancestry(trace, finalEmit(trace, stack.topicPrefix)!), stack.topicPrefix);
    expect(hops[0]).toBe('order-service: send orders.events');
    expect(hops.slice(-4)).toEqual([
      'shipping-service: send shipping.events',
      'order-service: process shipping.events',
      'order-service: send orders.status',
      'gateway: process orders.status',
    ]);
    // Along the chain, each send is followed by the processing of that same topic.
    const topicOf = (hop: string) => hop.replace(/^.*: (send|process) /, '');
    hops.forEach((hop, i) => expect(hop).toContain(i % 2 === 0 ? ': send ' : ': process '));
    for (let i = 0; i + 1 < hops.length; i += 2) expect(topicOf(hops[i + 1])).toBe(topicOf(hops[i]));
  });

  it('writes JSON logs that carry trace_id, span_id and order_id, and no payment token', async () => {
    const orderUrl = stack.url('order-service');
    const token = stack.token(customer);
    const secretToken = 'tok_visa';
    const placed = await placeOrder(orderUrl, token, {
      items: [{ sku, quantity: 1 }],
      paymentToken: secretToken,
    });
    const { orderId } = placed.body;
    await waitForStatus(orderUrl, token, orderId, 'SHIPPING_SCHEDULED', { timeoutMs: 60_000 });

    const line = await waitFor('a notification-service log line about the order', () =>
      logLines('notification-service').find((entry) => entry.order_id === orderId),
    );
    expect(line).toMatchObject({
      service: 'notification-service',
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const request = receiver.spans.find(
      (s) => s.service === 'order-service' && s.kind === OTLP_SPAN_KIND.server && s.traceId === line.trace_id,
    );
    expect(request).toBeDefined();
    for (const app of APPS) {
      expect(readFileSync(stack.logFile(app)!, 'utf8')).not.toContain(secretToken);
    }
  });

  function logLines(app: string): Array<Record<string, unknown>> {
    return readFileSync(stack.logFile(app)!, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
});

/** The gateway's socket.io emit whose chain includes the ShipmentScheduled hop. */
function finalEmit(trace: ReceivedSpan[], topicPrefix: string): ReceivedSpan | undefined {
  return trace.find(
    (s) =>
      s.service === 'gateway' &&
      s.attributes['messaging.system'] === 'socket.io' &&
      kafkaHops(ancestry(trace, s), topicPrefix).includes('order-service: process shipping.events'),
  );
}
