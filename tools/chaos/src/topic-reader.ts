import { IHeaders, Kafka } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';

export interface RecordedMessage {
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  value: string | null;
}

/** Every message of the topics up to their current end (a throwaway consumer group). */
export async function readTopics(
  kafka: Kafka,
  topics: string[],
  timeoutMs = 90_000,
): Promise<RecordedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>();
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((t) => existing.has(t))) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high) - 1n);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const messages: RecordedMessage[] = [];
  if (remaining.size === 0) return messages;
  const subscribed = [...new Set([...remaining.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
  const consumer = kafka.consumer({ groupId: uniqueName('chaos-reader'), sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: subscribed, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          key: message.key?.toString() ?? null,
          headers: textHeaders(message.headers),
          value: message.value?.toString() ?? null,
        });
        const key = `${topic}/${partition}`;
        const last = remaining.get(key);
        if (last !== undefined && BigInt(message.offset) >= last) remaining.delete(key);
      },
    });
    await waitFor(`the end of ${subscribed.join(', ')}`, () => remaining.size === 0, {
      timeoutMs,
      intervalMs: 200,
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined)
      out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}
