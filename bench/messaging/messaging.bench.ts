/**
 * Messaging benchmark: events/s through commit → outbox → relay → Kafka → idempotent consumer
 * commit, and commit-to-consume latency (p50/p99) at a fixed rate. A script, not a test:
 *
 *   node --import ./libs/messaging/test/ts-register.mjs bench/messaging/messaging.bench.ts
 *
 * Runs: throughput with one event per transaction (16 writers), throughput with 20 events per
 * transaction (the relay/Kafka/consumer capacity when commits are not the limit), latency at a
 * fixed rate, latency at 100 events/s (the NOTIFY path).
 * Env: BENCH_EVENTS (each throughput run, default 20000), BENCH_RATE (latency run, events/s;
 * default half the one-event-per-commit throughput, at most 2500), BENCH_SECONDS (default 10),
 * BENCH_DB_LATENCY_MS (default 0: the consumer reaches its database through a proxy holding each
 * chunk that long each way, as over a network), BENCH_PIPELINE (default on: the consumer's pool
 * pipelines transaction boundaries as the services' do; off to measure without), BENCH_EFFECT_WRITE
 * (default unset: a one-event handler that awaits its insert; `awaited` or `at-commit`: a batch
 * handler whose one insert per run is awaited, or sent with the COMMIT).
 * Writes bench/messaging/results/latest.json.
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createTestDatabase, KAFKA_BROKERS, uniqueName, waitFor } from '@orderflow/testing';
import { ensureTopics, MESSAGING_MIGRATIONS, OutboxRelay, OutboxWriter } from '@orderflow/messaging';
import { fixtureEvent } from '../../libs/messaging/test/fixture/fixture-events';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WRITERS = 16;
/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();
const KEYS = 200;

interface Probe {
  committedAt: Map<string, number>;
  consumedAt: Map<string, number>;
}

async function main() {
  const db = await createTestDatabase('bench_messaging');
  const consumerDb = await createTestDatabase('bench_messaging_consumer');
  const kafka = new Kafka({ clientId: 'messaging-bench', brokers: KAFKA_BROKERS, logLevel: logLevel.ERROR });
  const topicPrefix = `${uniqueName('bench')}.`;
  const group = uniqueName('bench-consumer');
  const dataSource = await new DataSource({
    type: 'postgres',
    url: db.url,
    migrations: MESSAGING_MIGRATIONS,
    poolSize: 30,
  }).initialize();
  await dataSource.runMigrations();
  const writer = new OutboxWriter({ producer: 'bench', topicPrefix });
  await ensureTopics(kafka, [writer.topicOf('OrderCreated')]);

  const probe: Probe = { committedAt: new Map(), consumedAt: new Map() };
  const relay = new OutboxRelay({ connectionString: db.url, kafka, batchSize: 1_000 });
  let child: ChildProcess | undefined;
  try {
    await relay.start();
    child = await startConsumer(consumerDb.url, topicPrefix, group, probe);
    await warmUp(dataSource, writer, probe);

    const throughput = await throughputRun(dataSource, writer, probe);
    log(
      `one event per commit: ${throughput.eventsPerSecond} events/s end to end (${throughput.committedEventsPerSecond} committed/s)`,
    );
    const batched = await throughputRun(dataSource, writer, probe, 20);
    log(
      `20 events per commit: ${batched.eventsPerSecond} events/s end to end (${batched.committedEventsPerSecond} committed/s)`,
    );
    const rate = Number(
      process.env.BENCH_RATE ?? Math.min(2_500, Math.floor(throughput.eventsPerSecond / 2)),
    );
    const latency = await latencyRun(dataSource, writer, probe, rate);
    log(
      `latency at ${rate} events/s: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms`,
    );
    const light = await latencyRun(dataSource, writer, probe, 100);
    log(`latency at 100 events/s: p50 ${light.p50Ms} ms, p99 ${light.p99Ms} ms, max ${light.maxMs} ms`);
    const load = loadAverage();

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      setup: {
        writers: WRITERS,
        keys: KEYS,
        partitions: 6,
        relayBatch: 1_000,
        processes: 'producer (writers + relay) and consumer, each with its own database',
        consumerDatabaseLatencyMsEachWay: Number(process.env.BENCH_DB_LATENCY_MS ?? 0),
        consumerPipeline: process.env.BENCH_PIPELINE !== 'off',
        consumerEffectWrite: process.env.BENCH_EFFECT_WRITE ?? 'one-event handler, awaited',
        note: 'Kafka, Postgres, both processes and other workloads share this machine',
      },
      throughput,
      throughputTwentyEventsPerCommit: batched,
      latency: { ...latency, ratePerSecond: rate, seconds: SECONDS },
      latencyLightLoad: { ...light, ratePerSecond: 100, seconds: SECONDS },
      loadAverageDuringRun: load,
      targets: { eventsPerSecond: 5_000, p99MsAtHalfRate: 50 },
    };
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    log(`written to ${join(dir, 'latest.json')}`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await relay.stop();
    await dataSource.destroy();
    await db.drop();
    await consumerDb.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: [writer.topicOf('OrderCreated'), `dlq.${group}`] })
      .catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** The consuming service: its own process and database, like a real downstream service. */
async function startConsumer(
  databaseUrl: string,
  topicPrefix: string,
  group: string,
  probe: Probe,
): Promise<ChildProcess> {
  const child = fork(join(__dirname, 'bench-consumer.ts'), {
    execArgv: ['--import', join(__dirname, '../../libs/messaging/test/ts-register.mjs')],
    env: { ...process.env, BENCH_DB_URL: databaseUrl, BENCH_TOPIC_PREFIX: topicPrefix, BENCH_GROUP: group },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench consumer exited with ${code}`)));
    child.on('message', (message: { ready?: boolean; consumed?: Array<[string, number]> }) => {
      if (message.ready) resolve();
      for (const [eventId, at] of message.consumed ?? []) probe.consumedAt.set(eventId, at);
    });
  });
  return child;
}

async function commitMany(dataSource: DataSource, writer: OutboxWriter, keys: string[], probe: Probe) {
  const eventIds = await dataSource.transaction((manager) =>
    writer.record(
      manager,
      keys.map((orderId) => ({ type: 'OrderCreated' as const, payload: fixtureEvent(orderId, 1) })),
    ),
  );
  const at = now();
  for (const eventId of eventIds) probe.committedAt.set(eventId, at);
  return eventIds;
}

async function commitOne(dataSource: DataSource, writer: OutboxWriter, orderId: string, probe: Probe) {
  const [eventId] = await dataSource.transaction((manager) =>
    writer.record(manager, { type: 'OrderCreated', payload: fixtureEvent(orderId, 1) }),
  );
  probe.committedAt.set(eventId, now());
  return eventId;
}

const orderIds = Array.from({ length: KEYS }, () => randomUUID());

async function warmUp(dataSource: DataSource, writer: OutboxWriter, probe: Probe) {
  const ids = await Promise.all(orderIds.slice(0, 50).map((id) => commitOne(dataSource, writer, id, probe)));
  await waitFor('warm-up events', () => ids.every((id) => probe.consumedAt.has(id)), { timeoutMs: 60_000 });
}

/** `eventsPerCommit` > 1: each transaction records that many events (a batch-producing service). */
async function throughputRun(
  dataSource: DataSource,
  writer: OutboxWriter,
  probe: Probe,
  eventsPerCommit = 1,
) {
  const ids: string[] = [];
  const started = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < EVENTS) {
        const first = next;
        next += eventsPerCommit;
        const keys = Array.from({ length: eventsPerCommit }, (_, k) => orderIds[(first + k) % KEYS]);
        ids.push(...(await commitMany(dataSource, writer, keys, probe)));
      }
    }),
  );
  const committed = now();
  await waitFor('every event consumed', () => ids.every((id) => probe.consumedAt.has(id)), {
    timeoutMs: 300_000,
    intervalMs: 50,
  });
  const consumed = Math.max(...ids.map((id) => probe.consumedAt.get(id)!));
  return {
    events: ids.length,
    eventsPerCommit,
    eventsPerSecond: Math.round((ids.length * 1_000) / (consumed - started)),
    committedEventsPerSecond: Math.round((ids.length * 1_000) / (committed - started)),
    seconds: Number(((consumed - started) / 1_000).toFixed(2)),
  };
}

async function latencyRun(dataSource: DataSource, writer: OutboxWriter, probe: Probe, rate: number) {
  const ids: string[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const started = now();
  let sent = 0;
  while (now() - started < SECONDS * 1_000) {
    const due = Math.floor(((now() - started) / 1_000) * rate);
    for (; sent < due; sent++) {
      const p = commitOne(dataSource, writer, orderIds[sent % KEYS], probe).then((id) => ids.push(id));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  await waitFor('every event consumed', () => ids.every((id) => probe.consumedAt.has(id)), {
    timeoutMs: 120_000,
    intervalMs: 50,
  });
  const latencies = ids
    .map((id) => probe.consumedAt.get(id)! - probe.committedAt.get(id)!)
    .sort((a, b) => a - b);
  const at = (q: number) =>
    Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1));
  return {
    events: ids.length,
    achievedRate: Math.round(ids.length / SECONDS),
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
  };
}

/** Other work on the machine skews the numbers; the result records how busy it was. */
function loadAverage() {
  const [one, five] = loadavg();
  return { oneMinute: Number(one.toFixed(2)), fiveMinutes: Number(five.toFixed(2)), cpus: cpus().length };
}

function log(message: string) {
  process.stdout.write(`${message}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
