import { Client } from 'pg';
import { percentiles, Percentiles } from './stats';

/**
 * Where the time of a hop goes, from the messaging tables the services keep anyway:
 * - relay: `messaging_outbox.published_at − created_at` per (producer, event type): commit → on Kafka;
 * - delivery: consumer's `messaging_inbox.processed_at − published_at` per (consumer group, event
 *   type): on Kafka → the consumer's transaction for it began (fetch, queueing, batching). It can
 *   be a few ms below zero: the relay marks a row after the broker's acknowledgement, and a
 *   consumer may have fetched the event and begun by then.
 * A hop of the saga is relay + delivery + the handler's own transaction.
 */
export type StageLatency = Record<string, Percentiles>;

interface Published {
  type: string;
  producer: string;
  createdAt: number;
  publishedAt: number | null;
}

export async function stageLatency(
  databaseUrls: Record<string, string>,
  orderIds: string[],
): Promise<StageLatency> {
  const clients = Object.entries(databaseUrls).map(([app, url]) => ({
    app,
    client: new Client({ connectionString: url }),
  }));
  await Promise.all(clients.map(({ client }) => client.connect()));
  try {
    const published = new Map<string, Published>();
    for (const { app, client } of clients) {
      const { rows } = await client.query<{
        event_id: string;
        event_type: string;
        created_at: Date;
        published_at: Date | null;
      }>(
        `select event_id, event_type, created_at, published_at from messaging_outbox where message_key = any($1)`,
        [orderIds],
      );
      for (const row of rows)
        published.set(row.event_id, {
          type: row.event_type,
          producer: app,
          createdAt: row.created_at.getTime(),
          publishedAt: row.published_at?.getTime() ?? null,
        });
    }
    const stages = new Map<string, number[]>();
    const add = (name: string, ms: number) => stages.set(name, [...(stages.get(name) ?? []), ms]);
    for (const event of published.values())
      if (event.publishedAt !== null)
        add(`relay ${event.producer} ${event.type}`, event.publishedAt - event.createdAt);
    const ids = [...published.keys()];
    for (const { client } of clients) {
      const { rows } = await client.query<{ consumer_group: string; event_id: string; processed_at: Date }>(
        'select consumer_group, event_id, processed_at from messaging_inbox where event_id = any($1::uuid[])',
        [ids],
      );
      for (const row of rows) {
        const event = published.get(row.event_id);
        if (event?.publishedAt)
          add(
            `delivery ${event.type} → ${row.consumer_group}`,
            row.processed_at.getTime() - event.publishedAt,
          );
      }
    }
    return Object.fromEntries(
      [...stages].sort(([a], [b]) => a.localeCompare(b)).map(([name, values]) => [name, percentiles(values)]),
    );
  } finally {
    await Promise.all(clients.map(({ client }) => client.end()));
  }
}
