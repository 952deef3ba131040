import {
  Attributes,
  Context,
  context,
  createContextKey,
  propagation,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { recordEventProcessed, recordOutboxPublish } from './messaging-metrics';

const tracer = () => trace.getTracer('orderflow-messaging');

/** Semantic-convention attribute names (OpenTelemetry messaging spans, Kafka). */
export const MESSAGING_ATTRIBUTES = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  kafkaKey: 'messaging.kafka.message.key',
  kafkaOffset: 'messaging.kafka.offset',
  partition: 'messaging.destination.partition.id',
  consumerGroup: 'messaging.consumer.group.name',
  eventType: 'orderflow.event.type',
  orderId: 'orderflow.order.id',
  outcome: 'orderflow.outcome',
  attempt: 'orderflow.delivery.attempt',
} as const;

const ORDER_ID = createContextKey('orderflow.order-id');

/** The order id bound to the current async context (logs pick it up), if any. */
export function activeOrderId(ctx: Context = context.active()): string | undefined {
  return ctx.getValue(ORDER_ID) as string | undefined;
}

/** Runs `fn` with `orderId` bound to its async context: every log line inside carries it. */
export function withOrderId<T>(orderId: string, fn: () => T): T {
  trace.getActiveSpan()?.setAttribute(MESSAGING_ATTRIBUTES.orderId, orderId);
  return context.with(context.active().setValue(ORDER_ID, orderId), fn);
}

/** Trace context headers (W3C traceparent/tracestate) of the active span, for a stored or sent message. */
export function injectTraceContext(
  headers: Record<string, string> = {},
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers);
}

/** A message about to be sent by the outbox relay. `headers` carry the trace context stored with the row. */
export interface TracedMessage {
  topic: string;
  key: string;
  headers: Record<string, string>;
  /** The envelope's event id and type, when known. */
  eventId?: string;
  eventType?: string;
}

/**
 * One PRODUCER span `send <topic>` per message, each a child of the trace context stored with its
 * outbox row (so the publish belongs to the request or event that wrote the row, not to the relay
 * loop). `send` receives the messages with their trace headers replaced by the producer span's,
 * so consumers become children of the publish. Spans end when `send` settles.
 */
export async function withProducerSpans<M extends TracedMessage, T>(
  messages: M[],
  send: (traced: M[]) => Promise<T>,
): Promise<T> {
  const spans: Span[] = [];
  const traced = messages.map((message) => {
    const parent = propagation.extract(context.active(), message.headers);
    const span = tracer().startSpan(
      `send ${message.topic}`,
      { kind: SpanKind.PRODUCER, attributes: producerAttributes(message) },
      parent,
    );
    spans.push(span);
    const headers = { ...message.headers };
    delete headers.traceparent;
    delete headers.tracestate;
    return { ...message, headers: injectTraceContext(headers, trace.setSpan(parent, span)) };
  });
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const result = await send(traced);
    for (const span of spans) span.end();
    recordOutboxPublish(byTopic(messages), seconds());
    return result;
  } catch (error) {
    for (const span of spans) endWithError(span, error);
    recordOutboxPublish(byTopic(messages), seconds(), error);
    throw error;
  }
}

function byTopic(messages: TracedMessage[]) {
  const topics = new Map<string, Array<string | undefined>>();
  for (const message of messages) {
    const list = topics.get(message.topic) ?? [];
    list.push(message.headers['occurred-at']);
    topics.set(message.topic, list);
  }
  return [...topics].map(([topic, occurredAt]) => ({ topic, occurredAt }));
}

function producerAttributes(message: TracedMessage): Attributes {
  const attributes: Attributes = {
    [MESSAGING_ATTRIBUTES.system]: 'kafka',
    [MESSAGING_ATTRIBUTES.destination]: message.topic,
    [MESSAGING_ATTRIBUTES.operationType]: 'send',
    [MESSAGING_ATTRIBUTES.operationName]: 'send',
    [MESSAGING_ATTRIBUTES.kafkaKey]: message.key,
  };
  const eventId = message.eventId ?? message.headers['event-id'];
  const eventType = message.eventType ?? message.headers['event-type'];
  const orderId = message.headers['correlation-id'];
  if (eventId) attributes[MESSAGING_ATTRIBUTES.messageId] = eventId;
  if (eventType) attributes[MESSAGING_ATTRIBUTES.eventType] = eventType;
  if (orderId) attributes[MESSAGING_ATTRIBUTES.orderId] = orderId;
  return attributes;
}

/** What the consumer knows about the message it processes. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  group: string;
  key: string;
  eventId: string;
  eventType: string;
  /** The order id: bound to the context, so log lines inside carry it. */
  correlationId: string;
  /** Trace headers of the message (the producer span's context). */
  trace: Record<string, string>;
  attempt?: number;
}

/** A CONSUMER span that was started and must be ended with `succeed` or `fail`. */
export interface ConsumerSpan {
  /** The span's context (order id bound): run the event's work in it; its outbox rows carry it. */
  readonly context: Context;
  succeed(outcome: string): void;
  fail(error: unknown): void;
}

/**
 * Starts the CONSUMER span `process <topic>` of one processing attempt, child of the producer
 * span whose context the message carries, with the order id bound for logs. For handlers that
 * apply a run of events at once: each event keeps a span of its own.
 */
export function startConsumerSpan(message: ConsumedMessage): ConsumerSpan {
  const parent = propagation
    .extract(context.active(), message.trace)
    .setValue(ORDER_ID, message.correlationId);
  const span = tracer().startSpan(
    `process ${message.topic}`,
    { kind: SpanKind.CONSUMER, attributes: consumerAttributes(message) },
    parent,
  );
  const started = process.hrtime.bigint();
  const record = (outcome: string) =>
    recordEventProcessed({
      group: message.group,
      topic: message.topic,
      eventType: message.eventType,
      outcome,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
  return {
    context: trace.setSpan(parent, span),
    succeed(outcome) {
      span.setAttribute(MESSAGING_ATTRIBUTES.outcome, outcome);
      span.end();
      record(outcome);
    },
    fail(error) {
      span.setAttribute(MESSAGING_ATTRIBUTES.outcome, 'failed');
      endWithError(span, error);
      record('failed');
    },
  };
}

/**
 * Runs one processing attempt in its CONSUMER span (see startConsumerSpan). A string result (the
 * outcome, e.g. `processed` or `duplicate`) is recorded on the span; a rejection marks it failed.
 */
export async function withConsumerSpan<T>(message: ConsumedMessage, fn: () => Promise<T>): Promise<T> {
  const span = startConsumerSpan(message);
  try {
    const result = await context.with(span.context, fn);
    span.succeed(typeof result === 'string' ? result : 'processed');
    return result;
  } catch (error) {
    span.fail(error);
    throw error;
  }
}

function consumerAttributes(message: ConsumedMessage): Attributes {
  return {
    [MESSAGING_ATTRIBUTES.system]: 'kafka',
    [MESSAGING_ATTRIBUTES.destination]: message.topic,
    [MESSAGING_ATTRIBUTES.operationType]: 'process',
    [MESSAGING_ATTRIBUTES.operationName]: 'process',
    [MESSAGING_ATTRIBUTES.consumerGroup]: message.group,
    [MESSAGING_ATTRIBUTES.partition]: String(message.partition),
    [MESSAGING_ATTRIBUTES.kafkaOffset]: Number(message.offset),
    [MESSAGING_ATTRIBUTES.kafkaKey]: message.key,
    [MESSAGING_ATTRIBUTES.messageId]: message.eventId,
    [MESSAGING_ATTRIBUTES.eventType]: message.eventType,
    [MESSAGING_ATTRIBUTES.orderId]: message.correlationId,
    [MESSAGING_ATTRIBUTES.attempt]: message.attempt ?? 1,
  };
}

function endWithError(span: Span, error: unknown): void {
  const described = error instanceof Error ? error : new Error(String(error));
  span.recordException(described);
  span.setStatus({ code: SpanStatusCode.ERROR, message: described.message });
  span.end();
}
