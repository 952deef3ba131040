import { Logger } from '@nestjs/common';
import { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { DEAD_LETTER_HEADERS } from '@orderflow/contracts';
import { ENVELOPE_HEADERS, headerText } from '@orderflow/messaging';
import { TopicOffsets } from './metrics/kafka-stats';
import { readWindow } from './metrics/kafka-window';
import { percentiles, Percentiles } from './stats';

/**
 * Where the time of a hop goes, from the step's messages on Kafka and the consumers' inboxes (the
 * relay deletes outbox rows once Kafka has them, so the outbox keeps no timestamps):
 * - relay: the record's `timestamp` − its `occurred-at` header, per event type (one producer per
 *   type). `occurred-at` is the producing service's clock as it wrote the outbox row, in its
 *   transaction (so the commit is part of this stage); the timestamp is the CreateTime the relay's
 *   kafkajs producer set when it built the request: relay ends at the send, not at the broker's
 *   acknowledgement, and the broker's round trip falls into delivery;
 * - delivery: the consumer's `messaging_inbox.processed_at` − the record's timestamp, per (consumer
 *   group, event type): sent → the consumer's transaction for it began (the broker's write, fetch,
 *   queueing, batching). Only for the consumers that keep an inbox: notification-service and the
 *   gateway dedupe by their own records (ADR 0055), and the gateway's end is the socket anyway.
 * A hop of the saga is relay + delivery + the handler's own transaction. All clocks are this
 * machine's (services, Postgres, the producers).
 */
export type StageLatency = Record<string, Percentiles>;

/** What the stages were computed from. */
export interface StageSource {
  /** Distinct events of the step's orders found on Kafka. */
  events: number;
  /** Messages read in the step's slice of the run's topics, whatever their order. */
  scanned: number;
  readMs: number;
  /** False when the read hit its deadline: the stages cover the events read by then. */
  complete: boolean;
}

interface Sent {
  type: string;
  occurredAt: number;
  timestamp: number;
}

export interface StageInput {
  databaseUrls: Record<string, string>;
  orderIds: string[];
  /** End offsets of the run's topics when the step began, and once it had drained. */
  from: TopicOffsets;
  to: TopicOffsets;
}

export async function stageLatency(
  input: StageInput,
): Promise<{ latency: StageLatency; source: StageSource }> {
  const read = await readWindow(input.from, input.to, new Set(input.orderIds));
  const source = { events: 0, scanned: read.scanned, readMs: read.ms, complete: read.complete };
  if (!read.complete)
    new Logger('bench').warn(
      `stages: the Kafka read hit its deadline after ${read.ms} ms with ${read.unfinished.length} partitions ` +
        `unfinished (${read.unfinished.join(', ')}); the stages cover the ${read.scanned} messages read`,
    );
  const sent = eventsSent(read.messages);
  source.events = sent.size;
  const stages = new Map<string, number[]>();
  const add = (name: string, ms: number) => {
    if (!stages.has(name)) stages.set(name, []);
    stages.get(name)!.push(ms);
  };
  for (const event of sent.values()) add(`relay ${event.type}`, event.timestamp - event.occurredAt);
  for (const row of await inboxRows(input.databaseUrls, [...sent.keys()])) {
    const event = sent.get(row.event_id)!;
    add(`delivery ${event.type} → ${row.consumer_group}`, row.processed_at.getTime() - event.timestamp);
  }
  const latency = Object.fromEntries(
    [...stages].sort(([a], [b]) => a.localeCompare(b)).map(([name, values]) => [name, percentiles(values)]),
  );
  return { latency, source };
}

/** Events by id; an event the relay sent again (at least once) counts from its first send. */
function eventsSent(messages: KafkaMessage[]): Map<string, Sent> {
  const sent = new Map<string, Sent>();
  for (const message of messages) {
    const header = (name: string) => headerText(message.headers, name);
    const [id, type, occurredAt] = [
      header(ENVELOPE_HEADERS.eventId),
      header(ENVELOPE_HEADERS.eventType),
      header(ENVELOPE_HEADERS.occurredAt),
    ];
    if (!id || !type || !occurredAt || header(DEAD_LETTER_HEADERS.originalTopic)) continue;
    const timestamp = Number(message.timestamp);
    if (timestamp < (sent.get(id)?.timestamp ?? Infinity))
      sent.set(id, { type, occurredAt: Date.parse(occurredAt), timestamp });
  }
  return sent;
}

interface InboxRow {
  consumer_group: string;
  event_id: string;
  processed_at: Date;
}

/** The inbox rows of these events in every service's database. */
async function inboxRows(databaseUrls: Record<string, string>, eventIds: string[]): Promise<InboxRow[]> {
  const rows = await Promise.all(
    Object.values(databaseUrls).map(async (url) => {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const result = await client.query<InboxRow>(
          'select consumer_group, event_id, processed_at from messaging_inbox where event_id = any($1::uuid[])',
          [eventIds],
        );
        return result.rows;
      } finally {
        await client.end();
      }
    }),
  );
  return rows.flat();
}
