import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { traceLogFields } from '../logging/trace-log-fields';
import {
  activeOrderId,
  injectTraceContext,
  withConsumerSpan,
  withOrderId,
  withProducerSpans,
} from './messaging-tracing';

describe('messaging tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();
  const tracer = () => trace.getTracer('test');

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  /** The trace headers an outbox row stores when written inside `span`. */
  function storedHeadersUnder(name: string): {
    headers: Record<string, string>;
    traceId: string;
    spanId: string;
  } {
    const span = tracer().startSpan(name);
    const headers = context.with(trace.setSpan(context.active(), span), () =>
      injectTraceContext({ 'event-id': 'e-1', 'event-type': 'OrderCreated', 'correlation-id': 'order-1' }),
    );
    span.end();
    return { headers, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
  }

  it('publishes each row in a PRODUCER span that is a child of the context stored with the row', async () => {
    const stored = storedHeadersUnder('POST /orders');
    let sent: Array<{ headers: Record<string, string> }> = [];
    await withProducerSpans(
      [{ topic: 'orders.events', key: 'order-1', headers: stored.headers }],
      async (traced) => {
        sent = traced;
      },
    );

    const producer = exporter.getFinishedSpans().find((span) => span.name === 'send orders.events');
    expect(producer).toBeDefined();
    expect(producer!.kind).toBe(SpanKind.PRODUCER);
    expect(producer!.spanContext().traceId).toBe(stored.traceId);
    expect(producer!.parentSpanContext?.spanId).toBe(stored.spanId);
    expect(producer!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders.events',
      'messaging.operation.type': 'send',
      'messaging.kafka.message.key': 'order-1',
      'messaging.message.id': 'e-1',
    });
    // The sent message carries the producer span's context, not the stored one.
    expect(sent[0].headers.traceparent).toBe(`00-${stored.traceId}-${producer!.spanContext().spanId}-01`);
    expect(sent[0].headers['event-id']).toBe('e-1');
  });

  it('ends the producer spans as failed when the send fails', async () => {
    const stored = storedHeadersUnder('request');
    await expect(
      withProducerSpans([{ topic: 't', key: 'k', headers: stored.headers }], () =>
        Promise.reject(new Error('broker down')),
      ),
    ).rejects.toThrow('broker down');
    const producer = exporter.getFinishedSpans().find((span) => span.name === 'send t');
    expect(producer?.status).toMatchObject({ code: 2, message: 'broker down' });
  });

  it('processes in a CONSUMER span that is a child of the producer, with the order id bound for logs', async () => {
    const producerHeaders = storedHeadersUnder('send orders.events');
    let logFields: Record<string, string> = {};
    const outcome = await withConsumerSpan(
      {
        topic: 'orders.events',
        partition: 3,
        offset: '42',
        group: 'payment-service',
        key: 'order-1',
        eventId: 'e-1',
        eventType: 'OrderCreated',
        correlationId: 'order-1',
        trace: producerHeaders.headers,
      },
      async () => {
        logFields = traceLogFields();
        return 'processed' as const;
      },
    );

    expect(outcome).toBe('processed');
    const consumer = exporter.getFinishedSpans().find((span) => span.name === 'process orders.events');
    expect(consumer?.kind).toBe(SpanKind.CONSUMER);
    expect(consumer?.spanContext().traceId).toBe(producerHeaders.traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producerHeaders.spanId);
    expect(consumer?.attributes).toMatchObject({
      'messaging.consumer.group.name': 'payment-service',
      'messaging.destination.partition.id': '3',
      'orderflow.outcome': 'processed',
    });
    expect(logFields).toEqual({
      trace_id: producerHeaders.traceId,
      span_id: consumer!.spanContext().spanId,
      order_id: 'order-1',
    });
  });

  it('marks a failed processing attempt on its span and rethrows', async () => {
    const failing = withConsumerSpan(
      {
        topic: 't',
        partition: 0,
        offset: '1',
        group: 'g',
        key: 'k',
        eventId: 'e',
        eventType: 'X',
        correlationId: 'o',
        trace: {},
      },
      () => Promise.reject(new Error('db down')),
    );
    await expect(failing).rejects.toThrow('db down');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'process t');
    expect(span?.attributes['orderflow.outcome']).toBe('failed');
    expect(span?.status.code).toBe(2);
  });

  it('binds an order id to the async context only inside withOrderId', () => {
    expect(activeOrderId()).toBeUndefined();
    expect(withOrderId('order-9', () => activeOrderId())).toBe('order-9');
    expect(traceLogFields()).toEqual({});
  });
});
