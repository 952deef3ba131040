import { Consumer, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { ensureTopics } from '@orderflow/messaging';
import { KAFKA_BROKERS, uniqueName } from '@orderflow/testing';
import { now, percentiles, Percentiles, round, sleep } from '../saga/stats';

export const HOPS = 5;

export interface KafkaFloor {
  hops: number;
  /** Seconds of full-speed traffic through the chain before anything was measured. */
  warmupSeconds: number;
  /** brokerJitSeconds: how long the broker's JIT compiled during the latency run, when known. */
  latency: { rate: number; seconds: number; brokerJitSeconds?: number } & Percentiles;
  throughput: { messages: number; seconds: number; messagesPerSecond: number };
}

export interface KafkaFloorOptions {
  seconds: number;
  rate: number;
  warmupSeconds: number;
  /** Seconds the broker's JIT has compiled so far (BrokerJit), to report what the latency run shared the box with. */
  brokerCompileSeconds?: () => number | undefined;
}

/**
 * The Kafka floor: a chain of 5 sequential produce → consume hops with no database, on this broker,
 * with the relay's producer settings (idempotent, acks=all) and 6-partition topics. Its latency at a
 * light rate is the least any 5-event saga path can take; its throughput bounds messages per second.
 *
 * The chain first runs at full speed for `warmupSeconds`: the saga's traffic does not warm the
 * broker's code paths for these new topics, and on a broker that is still compiling the latency
 * run's p99 measured 93 ms against 18–21 ms once warm (docs/performance.md, thirteenth pass).
 */
export async function measureKafkaFloor(options: KafkaFloorOptions): Promise<KafkaFloor> {
  const run = uniqueName('bench-floor');
  const kafka = new Kafka({ clientId: run, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const topics = Array.from({ length: HOPS }, (_, i) => `${run}.hop-${i}`);
  await ensureTopics(kafka, topics);
  const received = new Map<string, number>();
  const chain = await startChain(kafka, run, topics, received);
  try {
    if (options.warmupSeconds > 0)
      await throughputRun(chain.producer, topics[0], received, options.warmupSeconds, 'warm-');
    const jitBefore = options.brokerCompileSeconds?.();
    const latency = await latencyRun(chain.producer, topics[0], received, options);
    const jitAfter = options.brokerCompileSeconds?.();
    const throughput = await throughputRun(chain.producer, topics[0], received, options.seconds, 'tp-');
    const brokerJitSeconds =
      jitBefore === undefined || jitAfter === undefined ? undefined : round(jitAfter - jitBefore, 2);
    return {
      hops: HOPS,
      warmupSeconds: options.warmupSeconds,
      latency: { ...latency, brokerJitSeconds },
      throughput,
    };
  } finally {
    await chain.stop();
    await deleteTopics(kafka, topics);
  }
}

interface Chain {
  producer: Producer;
  stop: () => Promise<void>;
}

/**
 * Forwarders hop-0 → hop-1 → … → hop-4, then a sink that records when each message arrived. Each
 * forwarder sends with a producer of its own, as each service's relay does: one shared producer
 * with one request in flight would queue every hop's sends behind the others' and measure that
 * queue instead of the hops.
 */
async function startChain(
  kafka: Kafka,
  run: string,
  topics: string[],
  received: Map<string, number>,
): Promise<Chain> {
  const producers: Producer[] = [];
  const relayProducer = async () => {
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    producers.push(producer);
    return producer;
  };
  const source = await relayProducer();
  const consumers: Consumer[] = [];
  for (let hop = 0; hop < HOPS; hop += 1) {
    const consumer = kafka.consumer({ groupId: `${run}-hop-${hop}`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics[hop]], fromBeginning: true });
    const next = topics[hop + 1];
    const forwarder = next ? await relayProducer() : undefined;
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        if (forwarder) {
          await forwarder.send({
            topic: next,
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value })),
          });
        } else {
          const at = now();
          for (const m of batch.messages) received.set(m.value!.toString(), at);
        }
      },
    });
    consumers.push(consumer);
  }
  await waitForAssignments(source, topics[0], received);
  return {
    producer: source,
    stop: async () => {
      await Promise.all(consumers.map((consumer) => consumer.disconnect()));
      await Promise.all(producers.map((producer) => producer.disconnect()));
    },
  };
}

/**
 * Sends probes over every partition until a round makes it through the chain: every group has
 * joined, been assigned and fetched once, so the latency run measures flow, not start-up.
 */
async function waitForAssignments(producer: Producer, topic: string, received: Map<string, number>) {
  const deadline = Date.now() + 60_000;
  for (let round = 0; Date.now() < deadline; round += 1) {
    const ids = Array.from({ length: 60 }, (_, i) => `probe-${round}-${i}`);
    await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) });
    await sleep(1_000);
    if (ids.every((id) => received.has(id)) && round >= 2) return;
  }
  throw new Error('the Kafka floor chain did not deliver its probes within 60 s');
}

async function latencyRun(
  producer: Producer,
  topic: string,
  received: Map<string, number>,
  { seconds, rate }: { seconds: number; rate: number },
) {
  const sent = new Map<string, number>();
  const failures: Error[] = [];
  const total = Math.round(rate * seconds);
  const start = now();
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const id = `lat-${i}`;
    sent.set(id, now());
    producer
      .send({ topic, messages: [{ key: id, value: id }] })
      .catch((error: Error) => failures.push(error));
  }
  await waitUntil(() => failures.length > 0 || [...sent.keys()].every((id) => received.has(id)), 30_000);
  if (failures.length > 0) throw new Error(`Kafka floor: produce failed: ${failures[0].message}`);
  const latencies = [...sent].map(([id, at]) => received.get(id)! - at);
  return { rate, seconds, ...percentiles(latencies) };
}

async function throughputRun(
  producer: Producer,
  topic: string,
  received: Map<string, number>,
  seconds: number,
  prefix: string,
) {
  // As many as the chain moves in about `seconds`, sent in batches like a busy relay.
  const batch = 500;
  const start = now();
  let sent = 0;
  while (now() - start < seconds * 1000) {
    const ids = Array.from({ length: batch }, (_, i) => `${prefix}${sent + i}`);
    await producer.send({ topic, messages: ids.map((id) => ({ key: id, value: id })) });
    sent += batch;
    // Keep at most a few batches ahead of the end of the chain: measure flow, not buffering.
    await waitUntil(() => countPrefix(received, prefix) >= sent - 4 * batch, 60_000);
  }
  await waitUntil(() => countPrefix(received, prefix) >= sent, 60_000);
  const elapsed = (now() - start) / 1000;
  return { messages: sent, seconds: round(elapsed, 2), messagesPerSecond: Math.round(sent / elapsed) };
}

let counted = { size: -1, prefix: '', value: 0 };
function countPrefix(received: Map<string, number>, prefix: string): number {
  if (counted.size === received.size && counted.prefix === prefix) return counted.value;
  let value = 0;
  for (const id of received.keys()) if (id.startsWith(prefix)) value += 1;
  counted = { size: received.size, prefix, value };
  return value;
}

async function waitUntil(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Kafka floor: messages still missing after ${timeoutMs} ms`);
    await sleep(2);
  }
}

async function deleteTopics(kafka: Kafka, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}
