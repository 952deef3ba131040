#!/usr/bin/env node
// Dead-letter operations: `npm run dlq -- <list|show|replay> --group <consumer-group> [options]`.
//
//   list    one line per dead letter: offset, event, original position, reason, attempts, error
//   show    one dead letter in full (headers and payload): --offset <n> [--partition <p>]
//   replay  publish dead letters back to their original topic, key, value and headers, so the
//           group retries them once the cause is fixed: --offset <n> [--partition <p>] | --event-id <id> | --all
//
// Replay is safe to repeat: consumers dedupe on event-id, and every group of the original topic
// sees the replayed copy but applies it at most once. Options: --topic (default dlq.<group>),
// --brokers (default $KAFKA_BROKERS or 127.0.0.1:9092), --json (machine-readable output).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const DLQ_HEADER_PREFIX = 'dlq-';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    group: { type: 'string' },
    topic: { type: 'string' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    offset: { type: 'string' },
    partition: { type: 'string' },
    'event-id': { type: 'string' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const command = positionals[0];
if (!['list', 'show', 'replay'].includes(command) || (!values.group && !values.topic)) {
  console.error(
    'usage: npm run dlq -- <list|show|replay> --group <consumer-group> [--topic t] [--offset n --partition p | --event-id id | --all] [--json]',
  );
  process.exit(2);
}
const topic = values.topic ?? `dlq.${values.group}`;
const kafka = new Kafka({
  clientId: 'dlq-tool',
  brokers: values.brokers.split(','),
  logLevel: logLevel.NOTHING,
});

/** Every message of the topic up to its current end, without committing any offset. */
async function readAll() {
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.disconnect();
    return [];
  }
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(
    ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
  );
  const groupId = `dlq-tool-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId });
  const letters = [];
  try {
    if (pending.size === 0) return letters;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 30_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            letters.push(toLetter(partition, message));
            if (BigInt(message.offset) + 1n >= (pending.get(partition) ?? 0n)) pending.delete(partition);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

function toLetter(partition, message) {
  const headers = Object.fromEntries(
    Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]),
  );
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    headers,
    value: message.value,
    eventId: headers['event-id'] ?? null,
    eventType: headers['event-type'] ?? null,
    original: `${headers['dlq-original-topic']}/${headers['dlq-original-partition']}@${headers['dlq-original-offset']}`,
    reason: headers['dlq-reason'],
    attempts: Number(headers['dlq-attempts']),
    firstFailureAt: headers['dlq-first-failure-at'],
    lastFailureAt: headers['dlq-last-failure-at'],
    error: headers['dlq-error'],
  };
}

function select(letters) {
  if (values.all) return letters;
  if (values['event-id']) return letters.filter((l) => l.eventId === values['event-id']);
  if (values.offset !== undefined) {
    return letters.filter(
      (l) =>
        l.offset === values.offset &&
        (values.partition === undefined || String(l.partition) === values.partition),
    );
  }
  console.error('choose dead letters with --offset <n> [--partition <p>], --event-id <id> or --all');
  process.exit(2);
}

function summary(letter) {
  const rest = { ...letter };
  delete rest.value;
  delete rest.headers;
  return rest;
}

async function replay(letters) {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (const letter of letters) {
      const headers = Object.fromEntries(
        Object.entries(letter.headers).filter(([name]) => !name.startsWith(DLQ_HEADER_PREFIX)),
      );
      headers['dlq-replayed-from'] = `${topic}/${letter.partition}@${letter.offset}`;
      await producer.send({
        topic: letter.headers['dlq-original-topic'],
        acks: -1,
        messages: [{ key: letter.key, value: letter.value, headers }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

const letters = await readAll();
if (command === 'list') {
  if (values.json) console.log(JSON.stringify(letters.map(summary), null, 2));
  else if (letters.length === 0) console.log(`${topic}: no dead letters`);
  else {
    for (const l of letters) {
      console.log(
        `${l.partition}@${l.offset}  ${l.eventType ?? '?'} ${l.eventId ?? '(no event-id)'}  from ${l.original}  ${l.reason} after ${l.attempts} attempt(s), last ${l.lastFailureAt}  ${l.error}`,
      );
    }
  }
} else if (command === 'show') {
  for (const l of select(letters)) {
    let payload = l.value?.toString() ?? null;
    try {
      payload = JSON.parse(payload);
    } catch {
      // a malformed value is shown as the text it is
    }
    console.log(JSON.stringify({ ...summary(l), headers: l.headers, payload }, null, 2));
  }
} else {
  const chosen = select(letters);
  if (chosen.length === 0) {
    console.error('no dead letter matches');
    process.exit(1);
  }
  await replay(chosen);
  const replayed = chosen.map((l) => ({
    partition: l.partition,
    offset: l.offset,
    eventId: l.eventId,
    to: l.headers['dlq-original-topic'],
  }));
  if (values.json) console.log(JSON.stringify(replayed, null, 2));
  else for (const r of replayed) console.log(`replayed ${r.partition}@${r.offset} (${r.eventId}) to ${r.to}`);
}
