import {
  OTLP_SPAN_KIND,
  OtlpReceiver,
  placeOrder,
  request,
  SagaStack,
  uniqueName,
  waitFor,
} from '@orderflow/testing';
import { ancestry, describeTrace, orphans, roots } from './trace-assertions';

// order-service alone as a process, exporting OTLP to an in-test receiver: the smallest slice of
// the order trace (request → outbox row → relay publish) plus its metrics.
describe('order-service telemetry', () => {
  const receiver = new OtlpReceiver();
  let stack: SagaStack;
  let url: string;
  let token: string;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    stack = await SagaStack.start({
      apps: ['order-service'],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
    });
    url = stack.url('order-service');
    token = stack.token(uniqueName('telemetry-customer'));
  }, 150_000);

  afterAll(async () => {
    await stack?.close();
    await receiver.stop();
  });

  it('publishes OrderCreated in a PRODUCER span inside the trace of the POST /orders request', async () => {
    const placed = await placeOrder(url, token, { items: [{ sku: 'SKU-1', quantity: 1 }] });
    expect(placed.status).toBe(202);
    const { orderId } = placed.body;
    const topic = `${stack.topicPrefix}orders.events`;

    const send = await waitFor(`a send span for order ${orderId}`, () =>
      receiver.spans.find(
        (s) => s.name === `send ${topic}` && s.attributes['messaging.kafka.message.key'] === orderId,
      ),
    );
    const trace = await waitFor('the request span of the same trace', () => {
      const spans = receiver.trace(send.traceId);
      return roots(spans).length > 0 && orphans(spans).length === 0 ? spans : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${describeTrace(receiver.trace(send.traceId))}`);
    });

    expect(send).toMatchObject({
      service: 'order-service',
      kind: OTLP_SPAN_KIND.producer,
      attributes: expect.objectContaining({
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.operation.type': 'send',
        'messaging.message.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
        'orderflow.event.type': 'OrderCreated',
      }),
    });
    const [root] = roots(trace);
    expect(root).toMatchObject({ service: 'order-service', kind: OTLP_SPAN_KIND.server });
    expect(root.name).toMatch(/^POST/);
    expect(ancestry(trace, send).at(-1)).toBe(root);
    // The relay ran after the request answered: the publish starts after the request span.
    expect(send.startNs).toBeGreaterThan(root.startNs);
  });

  it('makes no root spans for probes, scrapes, relay polls or pool housekeeping', async () => {
    for (const path of ['/health/ready', '/health/live', '/metrics']) {
      expect((await request('GET', `${url}${path}`)).status).toBe(200);
    }
    // A request that is traced, exported after the ones above: once it is here, they would be too.
    const since = BigInt(Date.now()) * 1_000_000n;
    await placeOrder(url, token, { items: [{ sku: 'SKU-2', quantity: 1 }] });
    await waitFor('the marker request span', () =>
      receiver.spans.find(
        (s) => s.kind === OTLP_SPAN_KIND.server && /^POST/.test(s.name) && s.startNs > since,
      ),
    );
    const noise = roots(receiver.spans).filter(
      (s) => !(s.kind === OTLP_SPAN_KIND.server && /^POST/.test(s.name)),
    );
    expect(
      noise.map((s) => `${s.service} ${s.name}`).filter((name) => !name.includes('Create Nest App')),
    ).toEqual([]);
  });

  it('exposes HTTP, outbox, relay, order-intake and runtime metrics at /metrics that moved after an order', async () => {
    const before = await scrape();
    const placed = await placeOrder(url, token, { items: [{ sku: 'SKU-3', quantity: 1 }] });
    expect(placed.status).toBe(202);

    await waitFor('publish latency to count the new event', async () => {
      const now = await scrape();
      return (
        sum(now, 'orderflow_outbox_publish_latency_count') >
        sum(before, 'orderflow_outbox_publish_latency_count')
      );
    });
    const after = await scrape();
    expect(sum(after, 'http_server_request_duration_count', 'http_request_method="POST"')).toBeGreaterThan(
      sum(before, 'http_server_request_duration_count', 'http_request_method="POST"'),
    );
    expect(sum(after, 'messaging_client_operation_duration_count')).toBeGreaterThan(0);
    // The POST's insert, through the coalescer that lets concurrent POSTs share one (ADR 0058).
    expect(sum(after, 'orderflow_coalesced_write_items_count', 'writer="order-intake"')).toBeGreaterThan(
      sum(before, 'orderflow_coalesced_write_items_count', 'writer="order-intake"'),
    );
    expect(after).toMatch(/^orderflow_outbox_backlog(_rows)?\{[^}]*\} 0$/m);
    expect(after).toMatch(/^orderflow_outbox_oldest_unpublished_age\{[^}]*\} 0$/m);
    // The runtime's own: how long callbacks waited for the event loop, and GC pauses.
    expect(after).toMatch(/^nodejs_eventloop_delay_p99\{[^}]*\} \d/m);
    expect(after).toMatch(/^nodejs_eventloop_utilization\{[^}]*\} \d/m);
    expect(sum(after, 'v8js_gc_duration_count')).toBeGreaterThan(0);
  });

  async function scrape(): Promise<string> {
    const res = await request<string>('GET', `${url}/metrics`);
    expect(res.status).toBe(200);
    return res.body;
  }
});

/** Sum of the samples of `metric` (optionally only those whose labels contain `label`). */
function sum(text: string, metric: string, label = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .filter((line) => line.includes(label))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
