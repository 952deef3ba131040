/**
 * `npm run bench`: orders per second and click-to-status latency of the whole system on this
 * machine, next to the machine's own limits measured in the same run. See docs/performance.md.
 */
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { cpuProbe, timeCpuWorkload } from '../limits/cpu-probe';
import { measureHttpCeiling } from '../limits/http-ceiling';
import { measureKafkaFloor } from '../limits/kafka-floor';
import { measurePgCeiling } from '../limits/pg-ceiling';
import { measurePgRoundTrip } from '../limits/pg-round-trip';
import { seedCatalog, SEEDED_STOCK } from './catalog';
import { CustomerSockets } from './customers';
import { RoundRobinClient } from './http-client';
import { checkInvariants } from './invariants';
import { BrokerJit, brokerStillCompiling } from './metrics/broker-jit';
import { KafkaCounter } from './metrics/kafka-stats';
import { OutboxBacklog } from './metrics/outbox-backlog';
import { PgCommitCounter } from './metrics/pg-stats';
import { ResourceMonitor } from './metrics/resource-monitor';
import { KAFKA_BROKERS, PG_ADMIN_URL } from '@orderflow/testing';
import { BenchOptions, parseOptions } from './options';
import { machine, runBenchmark, runStart } from './run-info';
import { BenchReport, Limits, printReport, writeReport } from './report';
import { runStep, StepContext, StepResult } from './step';
import { ratio } from './stats';
import { SAGA_SERVICES } from '@orderflow/testing';
import { BenchSystem, gatewayGroup } from './system';

const logger = new Logger('bench');

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const { startedAt, commit } = runStart();
  const cpuBeforeMs = timeCpuWorkload();
  logger.log(`starting the system (built apps, NODE_ENV=production, LOG_LEVEL=${options.logLevel})`);
  const system = await BenchSystem.start(
    options.logLevel,
    { apps: options.cpuProf, dir: join(options.outDir, 'profiles') },
    options.appEnv,
    options.replicas,
    options.relayProcess,
  );
  const interrupted = () => {
    logger.warn('interrupted: stopping the apps and dropping the run databases');
    void system.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  let report: BenchReport;
  try {
    const { warmup, warmupRounds, steps, invariants, peakRss, brokerJit } = await runSaga(system, options);
    const limits = options.limits === 'all' ? await measureLimits(options, steps, brokerJit) : undefined;
    report = {
      startedAt: startedAt.toISOString(),
      commit,
      machine: machine(),
      options,
      settings: { nodeEnv: 'production', logLevel: options.logLevel, seededStockPerSku: SEEDED_STOCK },
      warmup,
      warmupRounds,
      steps,
      sustainableRate: Math.max(0, ...steps.filter((s) => s.sustainable).map((s) => s.rate)),
      invariants,
      lifetimePeakRssMb: peakRss,
      limits,
    };
  } finally {
    await system.close();
  }
  report.machine.cpuProbe = cpuProbe(cpuBeforeMs, timeCpuWorkload());
  printReport(report);
  const files = writeReport(report, options.outDir);
  logger.log(`wrote ${files.join(' and ')}`);
  const ok = report.invariants.every((i) => i.ok) && report.steps.length > 0;
  process.exitCode = ok ? 0 : 1;
}

async function runSaga(system: BenchSystem, options: BenchOptions) {
  const skus = await seedCatalog(
    system.url('inventory-service'),
    system.token('bench-admin', { admin: true }),
    options.skus,
    system.stack.name,
  );
  logger.log(`seeded ${skus.length} products; connecting ${options.customers} customers to the gateway`);
  const sockets = await CustomerSockets.connect(
    system.url('gateway'),
    options.customers,
    (id) => system.token(id),
    system.stack.name,
  );
  const client = new RoundRobinClient(system.urls('order-service'), options.connections);
  const databases = system.databases();
  const pg = await PgCommitCounter.connect(Object.values(databases));
  const instances = (app: string) => options.replicas[app] ?? 1;
  const kafka = await KafkaCounter.connect(
    system.stack.topicPrefix,
    Object.fromEntries([
      // Some services name their group after the run's prefix, others do not.
      ...SAGA_SERVICES.flatMap((app) => [
        [app, instances(app)],
        [`${system.stack.topicPrefix}${app}`, instances(app)],
      ]),
      [gatewayGroup(system.stack.name), 1],
    ]),
  );
  const serviceDatabaseUrls = Object.fromEntries(SAGA_SERVICES.map((app) => [app, system.databaseUrl(app)]));
  const outbox = await OutboxBacklog.connect(serviceDatabaseUrls);
  const orderDb = new Client({ connectionString: system.databaseUrl('order-service') });
  await orderDb.connect();
  const monitor = new ResourceMonitor({
    kafka: Number(KAFKA_BROKERS[0].split(':')[1] ?? 9092),
    postgres: Number(new URL(PG_ADMIN_URL).port || 5432),
  });
  const ctx = {
    client,
    sockets,
    skus,
    mix: options.mix,
    keyedShare: options.keyedShare,
    sequence: { next: 0 },
    pg,
    kafka,
    outbox,
    monitor,
    brokerJit: new BrokerJit(monitor.brokerPid()),
    orderDb,
    serviceDatabaseUrls,
    drainSeconds: options.drainSeconds,
  };
  const steps: StepResult[] = [];
  try {
    const warmups = await warmUp(ctx, options);
    for (const rate of options.rates) {
      logger.log(`step: ${rate} orders/s for ${options.stepSeconds} s`);
      const step = await runStep(ctx, rate, options.stepSeconds);
      steps.push(step);
      logger.log(
        `  ${step.sustainable ? 'sustainable' : `NOT sustainable: ${step.verdict.join('; ')}`} — ` +
          `POST p50 ${step.postLatencyMs.p50} ms, terminal p50 ${step.terminalLatencyMs.p50} / p99 ${step.terminalLatencyMs.p99} ms`,
      );
      if (!step.sustainable && !options.keepGoing) break;
    }
    const invariants = await checkInvariants(system, {
      acceptedOrders: [...warmups, ...steps].reduce((n, s) => n + s.orders.accepted, 0),
      acceptedKeyed: [...warmups, ...steps].reduce((n, s) => n + s.orders.acceptedKeyed, 0),
      seededStock: SEEDED_STOCK,
      skus,
    });
    return {
      warmup: warmups.at(-1),
      warmupRounds: warmups.map((w) => ({ seconds: w.seconds, brokerJitSeconds: w.brokerJitSeconds })),
      steps,
      invariants,
      peakRss: monitor.lifetimePeakRssMb(),
      brokerJit: ctx.brokerJit,
    };
  } finally {
    sockets.close();
    client.close();
    await Promise.all([pg.close(), kafka.close(), outbox.close(), orderDb.end()]);
  }
}

/**
 * Warm-up rounds at the first rate, repeated while the broker's JIT compiler was busy for more than
 * a quarter of the last round (a broker started just before the run), up to --warmup-max-seconds in
 * all. A broker that has served for some minutes still compiles, in bursts, but less than that.
 */
async function warmUp(ctx: StepContext, options: BenchOptions): Promise<StepResult[]> {
  const rounds: StepResult[] = [];
  const { warmupSeconds: seconds, warmupMaxSeconds: maxSeconds } = options;
  if (seconds === 0) return rounds;
  const rate = options.rates[0];
  for (;;) {
    logger.log(`warm-up: ${rate} orders/s for ${seconds} s (not judged)`);
    const round = await runStep(ctx, rate, seconds);
    rounds.push(round);
    if (round.brokerJitSeconds !== undefined)
      logger.log(`  the broker's JIT compiled for ${round.brokerJitSeconds} s during the round`);
    if (!brokerStillCompiling(round) || (rounds.length + 1) * seconds > maxSeconds) return rounds;
  }
}

/** Past this much idle a round trip stops getting slower (measured: from about 5 ms on). */
const ROUND_TRIP_IDLE_MS = 20;

async function measureLimits(
  options: BenchOptions,
  steps: StepResult[],
  brokerJit: BrokerJit,
): Promise<Limits> {
  logger.log(`limits: pgbench (${options.pgClients} clients, ${options.limitSeconds} s)`);
  const postgres = await measurePgCeiling({ clients: options.pgClients, seconds: options.limitSeconds });
  logger.log(`limits: Postgres round trip, back to back and after ${ROUND_TRIP_IDLE_MS} ms idle`);
  const postgresRoundTrip = await measurePgRoundTrip({ samples: 200, idleMs: ROUND_TRIP_IDLE_MS });
  logger.log('limits: Kafka floor (5 hops)');
  const kafka = await measureKafkaFloor({
    seconds: options.limitSeconds,
    rate: 100,
    warmupSeconds: 5,
    brokerCompileSeconds: () => brokerJit.compileSeconds(),
  });
  logger.log(`limits: HTTP ceiling of a no-op Nest endpoint (${options.connections} connections)`);
  const http = await measureHttpCeiling({ connections: options.connections, seconds: options.limitSeconds });
  const best = steps.filter((s) => s.sustainable).at(-1) ?? steps[0];
  const lightest = steps.reduce<StepResult | undefined>((a, s) => (a && a.rate <= s.rate ? a : s), undefined);
  return {
    postgres,
    postgresRoundTrip,
    kafka,
    http,
    ratios: {
      atRate: best?.rate ?? 0,
      sagaP50OverKafkaFloorP50: ratio(best?.terminalLatencyMs.p50, kafka.latency.p50),
      atLightestRate: {
        rate: lightest?.rate ?? 0,
        sagaP50OverKafkaFloorP50: ratio(lightest?.terminalLatencyMs.p50, kafka.latency.p50),
      },
      commitsOverPgCeiling: ratio(
        (best?.rate ?? 0) * (best?.postgres.commitsPerOrder ?? 0),
        postgres.commitsPerSecond,
      ),
      ordersOverHttpCeiling: ratio(best?.rate, http.requestsPerSecond),
    },
  };
}

runBenchmark(main, logger);
