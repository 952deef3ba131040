import type {
  Attributes,
  BatchObservableResult,
  Counter,
  Histogram,
  ObservableGauge,
} from '@opentelemetry/api';
import { meter } from '../metrics/metrics';

/**
 * Instruments of the messaging path, created on first use (after the MeterProvider
 * exists). Names follow OpenTelemetry's messaging conventions where one exists, `orderflow.*`
 * otherwise; Prometheus shows dots as underscores (this exporter version adds no unit suffix; the unit is in `# UNIT`).
 */
interface Instruments {
  publishDuration: Histogram;
  publishLatency: Histogram;
  processDuration: Histogram;
  duplicates: Counter;
  retries: Counter;
  deadLetters: Counter;
  consumerLag: ObservableGauge;
  outboxBacklog: ObservableGauge;
  outboxOldestAge: ObservableGauge;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

let instruments: Instruments | undefined;
const lag = new Map<string, { attributes: Attributes; value: number }>();
const backlogSources = new Set<OutboxBacklogSource>();

function get(): Instruments {
  if (instruments) return instruments;
  const m = meter();
  instruments = {
    publishDuration: m.createHistogram('messaging.client.operation.duration', {
      unit: 's',
      description: 'Duration of Kafka sends by the outbox relay (one batch)',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    }),
    publishLatency: m.createHistogram('orderflow.outbox.publish.latency', {
      unit: 's',
      description: 'Time from the outbox write (event occurred-at) to the broker acknowledging the publish',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    }),
    processDuration: m.createHistogram('messaging.process.duration', {
      unit: 's',
      description: 'Duration of processing one consumed event (one attempt), by outcome',
      advice: { explicitBucketBoundaries: LATENCY_BUCKETS },
    }),
    duplicates: m.createCounter('orderflow.consumer.duplicates', {
      description: 'Redelivered events skipped because the consumer group had applied them already',
    }),
    retries: m.createCounter('orderflow.consumer.retries', {
      description: 'Failed processing attempts that will be retried',
    }),
    deadLetters: m.createCounter('orderflow.consumer.dead_letters', {
      description: 'Events moved to a dead-letter topic',
    }),
    consumerLag: m.createObservableGauge('orderflow.consumer.lag', {
      unit: '{message}',
      description: 'Messages behind the partition high watermark after the last processed offset',
    }),
    outboxBacklog: m.createObservableGauge('orderflow.outbox.backlog', {
      unit: '{event}',
      description: 'Outbox events not yet published',
    }),
    outboxOldestAge: m.createObservableGauge('orderflow.outbox.oldest_unpublished.age', {
      unit: 's',
      description: 'Age of the oldest unpublished outbox row (0 when empty)',
    }),
  };
  instruments.consumerLag.addCallback((result) => {
    for (const { attributes, value } of lag.values()) result.observe(value, attributes);
  });
  m.addBatchObservableCallback(observeBacklog, [instruments.outboxBacklog, instruments.outboxOldestAge]);
  return instruments;
}

export interface KafkaSendRecord {
  topic: string;
  /** Envelope `occurred-at` of each message sent to the topic. */
  occurredAt: Array<string | undefined>;
}

/** After an acknowledged relay batch: its send duration and each message's write-to-publish latency. */
export function recordOutboxPublish(batch: KafkaSendRecord[], sendSeconds: number, error?: unknown): void {
  const { publishDuration, publishLatency } = get();
  const now = Date.now();
  for (const { topic, occurredAt } of batch) {
    const attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.destination.name': topic,
    };
    publishDuration.record(
      sendSeconds,
      error ? { ...attributes, 'error.type': errorType(error) } : attributes,
    );
    if (error) continue;
    for (const written of occurredAt) {
      const at = written ? Date.parse(written) : NaN;
      if (Number.isFinite(at))
        publishLatency.record(Math.max(0, now - at) / 1000, { 'messaging.destination.name': topic });
    }
  }
}

export interface ProcessRecord {
  group: string;
  topic: string;
  eventType: string;
  /** `processed`, `duplicate`, `failed`, ... */
  outcome: string;
  seconds: number;
}

export function recordEventProcessed({ group, topic, eventType, outcome, seconds }: ProcessRecord): void {
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.consumer.group.name': group,
    'messaging.destination.name': topic,
    'orderflow.event.type': eventType,
    'orderflow.outcome': outcome,
  };
  get().processDuration.record(seconds, attributes);
  if (outcome === 'duplicate') get().duplicates.add(1, attributes);
}

export function recordRetry(group: string, eventType: string): void {
  get().retries.add(1, { 'messaging.consumer.group.name': group, 'orderflow.event.type': eventType });
}

export function recordDeadLetter(group: string, topic: string, reason: string): void {
  get().deadLetters.add(1, {
    'messaging.consumer.group.name': group,
    'messaging.destination.name': topic,
    'orderflow.dead_letter.reason': reason,
  });
}

/** Lag of one partition after a processed message: high watermark − offset − 1. */
export function recordConsumerLag(
  group: string,
  topic: string,
  partition: number,
  lagMessages: number,
): void {
  get();
  lag.set(`${group}\u0000${topic}\u0000${partition}`, {
    attributes: {
      'messaging.consumer.group.name': group,
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
    },
    value: Math.max(0, lagMessages),
  });
}

/** Reads the outbox backlog at scrape time; `undefined` when this replica is not the active relay. */
export type OutboxBacklogSource = () => Promise<{ events: number; oldestAgeSeconds: number } | undefined>;

/** The relay registers its backlog query; returns the function that unregisters it. */
export function observeOutboxBacklog(source: OutboxBacklogSource): () => void {
  get();
  backlogSources.add(source);
  return () => backlogSources.delete(source);
}

async function observeBacklog(result: BatchObservableResult): Promise<void> {
  const { outboxBacklog, outboxOldestAge } = get();
  for (const source of backlogSources) {
    // A failed read (relay reconnecting) leaves the gauges without a point for this scrape;
    // the relay itself logs its connection errors.
    const backlog = await source().catch(() => undefined);
    if (!backlog) continue;
    result.observe(outboxBacklog, backlog.events);
    result.observe(outboxOldestAge, backlog.oldestAgeSeconds);
  }
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
