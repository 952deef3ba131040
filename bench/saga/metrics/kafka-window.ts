import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Admin, Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { KAFKA_BROKERS } from '@orderflow/testing';
import { TopicOffsets } from './kafka-stats';

export interface WindowRead {
  /** Messages of the window whose key was asked for, in no particular order. */
  messages: KafkaMessage[];
  /** Messages read in the window, whatever their key. */
  scanned: number;
  /** False when the deadline came before every partition reached its end offset. */
  complete: boolean;
  /** Partitions (`topic:partition`) not read to their end, when incomplete. */
  unfinished: string[];
  ms: number;
}

/**
 * Reads the messages between two snapshots of the same topics' offsets (`from` inclusive, `to`
 * exclusive, per partition) whose key is in `keys`, so that a step reads its own slice of each
 * topic only. It reads through a fresh consumer group, deleted afterwards, and stops when every
 * partition reached `to` or at the deadline, with what it has read by then.
 */
export async function readWindow(
  from: TopicOffsets,
  to: TopicOffsets,
  keys: Set<string>,
  timeoutMs = 60_000,
): Promise<WindowRead> {
  const started = Date.now();
  const ends = new Map<string, number>();
  for (const [topic, partitions] of Object.entries(to))
    for (const { partition, offset } of partitions)
      if (Number(offset) > startOf(from, topic, partition)) ends.set(`${topic}:${partition}`, Number(offset));
  const read: WindowRead = { messages: [], scanned: 0, complete: true, unfinished: [], ms: 0 };
  if (ends.size === 0) return read;

  const kafka = new Kafka({ clientId: 'bench-stages', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const groupId = `bench-stages-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  try {
    read.complete = await consume(consumer, from, ends, keys, read, timeoutMs);
    read.unfinished = [...ends.keys()];
  } finally {
    await consumer.disconnect();
    await deleteGroup(admin, groupId);
    await admin.disconnect();
  }
  read.ms = Date.now() - started;
  return read;
}

/** Offset a partition starts at in `from`; 0 for a topic or partition created since. */
function startOf(from: TopicOffsets, topic: string, partition: number): number {
  return Number(from[topic]?.find((p) => p.partition === partition)?.offset ?? 0);
}

/**
 * Consumes until `ends` is empty (a partition is removed once read to its end) or the deadline.
 * The group is new, so it has no offsets: each partition is sought to its start once the consumer
 * has joined (before its first fetch), and a batch from anywhere else is ignored.
 */
async function consume(
  consumer: Consumer,
  from: TopicOffsets,
  ends: Map<string, number>,
  keys: Set<string>,
  read: WindowRead,
  timeoutMs: number,
): Promise<boolean> {
  const next = new Map([...ends.keys()].map((id) => [id, startOf(from, ...split(id))]));
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [...new Set([...ends.keys()].map((id) => split(id)[0]))] });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const id = `${batch.topic}:${batch.partition}`;
      const [end, position] = [ends.get(id), next.get(id)];
      const first = batch.firstOffset();
      // Offsets are contiguous (no compaction, no transactions): a batch that starts past the
      // position was fetched from elsewhere (e.g. the latest offset, before the seek applied).
      if (end === undefined || position === undefined || first === null || Number(first) > position) return;
      for (const message of batch.messages) {
        const offset = Number(message.offset);
        if (offset < position) continue;
        if (offset >= end) break;
        read.scanned += 1;
        if (keys.has(message.key?.toString() ?? '')) read.messages.push(message);
      }
      // lastOffset() counts control records too, which take an offset but are not messages.
      next.set(id, Math.max(position, Number(batch.lastOffset()) + 1));
      if (next.get(id)! >= end) ends.delete(id);
      if (ends.size === 0) finished();
    },
  });
  for (const [id, offset] of next) {
    const [topic, partition] = split(id);
    consumer.seek({ topic, partition, offset: String(offset) });
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const complete = await Promise.race([done.then(() => true), deadline]);
  clearTimeout(timer);
  return complete;
}

/** `topic:partition` → [topic, partition]. */
function split(id: string): [string, number] {
  const at = id.lastIndexOf(':');
  return [id.slice(0, at), Number(id.slice(at + 1))];
}

/** The group is empty once its consumer disconnected; a failure to delete it only leaves a name behind. */
async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  try {
    await admin.deleteGroups([groupId]);
  } catch (error) {
    new Logger('bench').warn(`could not delete consumer group ${groupId}: ${(error as Error).message}`);
  }
}
