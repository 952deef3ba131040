import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { EventPayloads, EventType } from '@orderflow/contracts';

/** Kafka header names of the envelope (docs/architecture.md, "Envelope"). */
export const ENVELOPE_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  eventVersion: 'event-version',
  occurredAt: 'occurred-at',
  producer: 'producer',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Every event, whatever its type: metadata in Kafka headers, payload as the JSON value. */
/** W3C trace context headers (traceparent, tracestate), as stored with a row or sent with a message. */
export type TraceCarrier = Record<string, string>;

export interface EventEnvelope<T = unknown> {
  eventId: string;
  type: string;
  version: number;
  occurredAt: string;
  producer: string;
  /** The order id. */
  correlationId: string;
  /** Id of the event whose handling produced this one; null for HTTP-originated events. */
  causationId: string | null;
  /** The Kafka message key: the aggregate id, so one aggregate's events share a partition. */
  key: string;
  /** W3C trace context headers (traceparent, tracestate) of the producing span. */
  trace: TraceCarrier;
  payload: T;
}

/** What a handler of `@EventPattern('OrderCreated')` receives. */
export type IncomingEvent<K extends EventType> = EventEnvelope<EventPayloads[K]> & { type: K };

/** An event that cannot be decoded: it goes to the dead-letter topic without being retried. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
}

export function envelopeHeaders(envelope: Omit<EventEnvelope, 'payload' | 'key'>): Record<string, string> {
  const headers: Record<string, string> = {
    [ENVELOPE_HEADERS.eventId]: envelope.eventId,
    [ENVELOPE_HEADERS.eventType]: envelope.type,
    [ENVELOPE_HEADERS.eventVersion]: String(envelope.version),
    [ENVELOPE_HEADERS.occurredAt]: envelope.occurredAt,
    [ENVELOPE_HEADERS.producer]: envelope.producer,
    [ENVELOPE_HEADERS.correlationId]: envelope.correlationId,
    ...envelope.trace,
  };
  if (envelope.causationId) headers[ENVELOPE_HEADERS.causationId] = envelope.causationId;
  return headers;
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the envelope of a consumed message, or throws MalformedEventError naming what is wrong. */
export function decodeEnvelope(message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>): EventEnvelope {
  const header = (name: string) => headerText(message.headers, name);
  const required = (name: string) => {
    const value = header(name);
    if (!value) throw new MalformedEventError(`missing header ${name}`);
    return value;
  };
  const eventId = required(ENVELOPE_HEADERS.eventId);
  if (!UUID.test(eventId)) throw new MalformedEventError(`header event-id is not a UUID: ${eventId}`);
  const version = Number(required(ENVELOPE_HEADERS.eventVersion));
  if (!Number.isInteger(version) || version < 1)
    throw new MalformedEventError('header event-version is not a positive integer');
  if (!message.value) throw new MalformedEventError('message has no value');
  let payload: unknown;
  try {
    payload = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    throw new MalformedEventError(`value is not JSON: ${(error as Error).message}`);
  }
  const trace: TraceCarrier = {};
  for (const name of [ENVELOPE_HEADERS.traceparent, ENVELOPE_HEADERS.tracestate]) {
    const value = header(name);
    if (value) trace[name] = value;
  }
  return {
    eventId,
    type: required(ENVELOPE_HEADERS.eventType),
    version,
    occurredAt: required(ENVELOPE_HEADERS.occurredAt),
    producer: required(ENVELOPE_HEADERS.producer),
    correlationId: required(ENVELOPE_HEADERS.correlationId),
    causationId: header(ENVELOPE_HEADERS.causationId) ?? null,
    key: message.key?.toString('utf8') ?? '',
    trace,
    payload,
  };
}
