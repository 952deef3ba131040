/**
 * The consuming service of the messaging benchmark, as its own process with its own database:
 * the real KafkaEventTransport with one handler registered the way Nest registers it. Reports
 * (event id, epoch ms after the consumer's transaction committed) to the parent over IPC.
 */
import { Kafka, logLevel } from 'kafkajs';
import { DataSource, QueryRunner, TransactionCommitEvent } from 'typeorm';
import { configurePool, dataSourceOptions } from '@orderflow/service-defaults';
import { KAFKA_BROKERS, TcpProxy } from '@orderflow/testing';
import {
  BATCH_HANDLER_EXTRA,
  BatchEventContext,
  BatchHandlerGroup,
  EventContext,
  EventEnvelope,
  KafkaEventTransport,
  MESSAGING_MIGRATIONS,
  OutboxWriter,
} from '@orderflow/messaging';

const now = () => performance.timeOrigin + performance.now();

async function main() {
  const { BENCH_DB_URL, BENCH_TOPIC_PREFIX, BENCH_GROUP } = process.env as Record<string, string>;
  const kafka = new Kafka({ clientId: 'bench-consumer', brokers: KAFKA_BROKERS, logLevel: logLevel.ERROR });
  const options = dataSourceOptions(
    { DATABASE_URL: await databaseUrl(BENCH_DB_URL) },
    { name: 'bench-consumer' },
    { entities: [], migrations: MESSAGING_MIGRATIONS, poolSize: 10 },
  );
  // The services' own pool (prepared statements, pipelined transaction boundaries), unless
  // BENCH_PIPELINE=off measures what pipelining saves.
  if (process.env.BENCH_PIPELINE === 'off') options.extra.pipeline = false;
  const dataSource = await new DataSource(options).initialize();
  configurePool(dataSource);
  await dataSource.runMigrations();
  await dataSource.query('create table bench_effect (event_id uuid primary key, order_id text not null)');
  const outbox = new OutboxWriter({ producer: 'bench-consumer', topicPrefix: BENCH_TOPIC_PREFIX });

  const handling = new Map<string, string>();
  let consumed: Array<[string, number]> = [];
  const transport = new KafkaEventTransport({
    kafka,
    dataSource,
    outbox,
    group: BENCH_GROUP,
    topicPrefix: BENCH_TOPIC_PREFIX,
    onOutcome: (outcome, at) => {
      const key = `${at.partition}:${at.offset}`;
      const eventId = handling.get(key);
      handling.delete(key);
      if (outcome === 'processed' && eventId) consumed.push([eventId, now()]);
    },
  });
  const effectWrite = process.env.BENCH_EFFECT_WRITE;
  if (effectWrite === 'awaited' || effectWrite === 'at-commit') {
    addBatchHandler(transport, dataSource, effectWrite, (ids) => {
      const at = now();
      for (const id of ids) consumed.push([id, at]);
    });
  } else {
    transport.addHandler(
      'OrderCreated',
      async (event: EventEnvelope, ctx: EventContext) => {
        handling.set(`${ctx.delivery.partition}:${ctx.delivery.offset}`, event.eventId);
        await ctx.manager.query('insert into bench_effect (event_id, order_id) values ($1, $2)', [
          event.eventId,
          event.key,
        ]);
      },
      true,
    );
  }
  const flush = setInterval(() => {
    if (consumed.length === 0) return;
    process.send!({ consumed });
    consumed = [];
  }, 20);
  await new Promise<void>((resolve, reject) =>
    transport.listen((error) => (error ? reject(error) : resolve())),
  );
  process.send!({ ready: true });
  process.once('SIGTERM', () => {
    clearInterval(flush);
    void transport
      .close()
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  });
}

/**
 * With BENCH_EFFECT_WRITE, a batch handler instead, as the saga's are: it writes the run's effects
 * in one statement, awaited or queued for the COMMIT (`writeAtCommit`), and reports the run's event
 * ids once its transaction has committed.
 */
function addBatchHandler(
  transport: KafkaEventTransport,
  dataSource: DataSource,
  write: 'awaited' | 'at-commit',
  committed: (eventIds: string[]) => void,
): void {
  const running = new WeakMap<QueryRunner, string[]>();
  dataSource.subscribers.push({
    afterTransactionCommit: ({ queryRunner }: TransactionCommitEvent) => {
      const ids = running.get(queryRunner);
      running.delete(queryRunner);
      if (ids && !queryRunner.isTransactionActive) committed(ids);
    },
  });
  const group: BatchHandlerGroup = { types: ['OrderCreated'], dedupe: 'inbox' };
  const handler = async (events: EventEnvelope[], ctx: BatchEventContext) => {
    running.set(
      ctx.manager.queryRunner!,
      events.map((event) => event.eventId),
    );
    const effects = {
      sql: 'insert into bench_effect (event_id, order_id) select * from unnest($1::uuid[], $2::text[])',
      params: [events.map((event) => event.eventId), events.map((event) => event.key)],
    };
    if (write === 'at-commit') ctx.writeAtCommit(effects);
    else await ctx.manager.query(effects.sql, effects.params);
  };
  transport.addHandler('OrderCreated', handler, true, { [BATCH_HANDLER_EXTRA]: group });
}

/**
 * The database URL as this consumer reaches it: directly, or with BENCH_DB_LATENCY_MS through a
 * proxy that holds every chunk that long in each direction, as if Postgres were on another host.
 */
async function databaseUrl(direct: string): Promise<string> {
  const latencyMs = Number(process.env.BENCH_DB_LATENCY_MS ?? 0);
  if (!latencyMs) return direct;
  const url = new URL(direct);
  const proxy = new TcpProxy('postgres', 0, Number(url.port || 5432), url.hostname);
  await proxy.start();
  proxy.setLatency(latencyMs);
  url.port = String(proxy.listenPort);
  return url.toString();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
