import { OTLP_SPAN_KIND, ReceivedSpan } from '@orderflow/testing';

/** Spans of `trace` whose parent is not in the trace (the root has an empty parent). */
export function orphans(trace: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(trace.map((span) => span.spanId));
  return trace.filter((span) => span.parentSpanId !== '' && !ids.has(span.parentSpanId));
}

export function roots(spans: ReceivedSpan[]): ReceivedSpan[] {
  return spans.filter((span) => span.parentSpanId === '');
}

/** `span`, its parent, its grandparent, ... up to the root. */
export function ancestry(trace: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  for (let current: ReceivedSpan | undefined = span; current; current = byId.get(current.parentSpanId)) {
    chain.push(current);
    if (chain.length > 500) throw new Error('cycle in span parentage');
  }
  return chain;
}

/** Kafka spans (send/process) of a chain, oldest first, as `service: name`. */
export function kafkaHops(chain: ReceivedSpan[], topicPrefix: string): string[] {
  return [...chain]
    .reverse()
    .filter((span) => span.attributes['messaging.system'] === 'kafka')
    .map((span) => `${span.service}: ${span.name.replace(topicPrefix, '')}`);
}

/**
 * Every Kafka CONSUMER span is the child of a PRODUCER span for the same topic that started no
 * later than it did. Returns the violations, described.
 */
export function brokenKafkaHops(trace: ReceivedSpan[]): string[] {
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const problems: string[] = [];
  for (const consumer of trace) {
    if (consumer.kind !== OTLP_SPAN_KIND.consumer || consumer.attributes['messaging.system'] !== 'kafka')
      continue;
    const parent = byId.get(consumer.parentSpanId);
    const where = `${consumer.service} ${consumer.name}`;
    if (!parent) problems.push(`${where}: parent missing`);
    else if (parent.kind !== OTLP_SPAN_KIND.producer)
      problems.push(`${where}: parent is ${parent.name}, not a producer`);
    else if (
      parent.attributes['messaging.destination.name'] !== consumer.attributes['messaging.destination.name']
    )
      problems.push(`${where}: parent sends to ${String(parent.attributes['messaging.destination.name'])}`);
    else if (parent.startNs > consumer.startNs) problems.push(`${where}: starts before its producer`);
  }
  return problems;
}

export function describeTrace(trace: ReceivedSpan[]): string {
  return trace.map((s) => `${s.service} ${s.name} ${s.spanId}<-${s.parentSpanId || 'root'}`).join('\n');
}
