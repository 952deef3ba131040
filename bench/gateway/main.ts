/**
 * `npm run bench:gateway`: how many Socket.IO connections one gateway holds within its RSS budget,
 * and the push latency (status event → socket receipt) with that many clients. See docs/performance.md.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Logger } from '@nestjs/common';
import { OrderStatusFeed } from '@orderflow/testing';
import { sampleProcess } from '../saga/metrics/process-stats';
import { machine, runBenchmark, runStart } from '../saga/run-info';
import { now, round, sleep } from '../saga/stats';
import { GatewayProcess } from './gateway-process';
import { GatewayBenchOptions, parseOptions } from './options';
import { PushLoad } from './push-load';
import { GatewayBenchReport, printReport, StepResult, writeReport } from './report';
import { SocketFleet } from './socket-fleet';

const logger = new Logger('bench:gateway');

interface Run {
  options: GatewayBenchOptions;
  gateway: GatewayProcess;
  fleet: SocketFleet;
  load: PushLoad;
  baselineRssMb: number;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const run = runStart();
  const openFiles = openFilesLimit();
  const mostSockets = options.sockets.at(-1)!;
  if (openFiles < mostSockets + 1_000)
    logger.warn(`ulimit -n is ${openFiles}: ${mostSockets} sockets need more (raise it: ulimit -n 65536)`);
  logger.log(
    `starting one gateway (built, NODE_ENV=production, ${options.redis ? 'Redis' : 'in-memory'} adapter)`,
  );
  const gateway = await GatewayProcess.start({
    logLevel: options.logLevel,
    redis: options.redis,
    heapMb: options.heapMb,
  });
  const interrupted = () => {
    logger.warn('interrupted: stopping the gateway and dropping the run database');
    void gateway.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  const feed = await OrderStatusFeed.connect(gateway.topicPrefix);
  const fleet = new SocketFleet(gateway.url, gateway.runName, options.socketsPerCustomer, (id) =>
    gateway.token(id),
  );
  const steps: StepResult[] = [];
  let stoppedBecause = 'all steps done';
  let baselineRssMb = 0;
  try {
    const load = new PushLoad(feed, fleet, options.rate);
    await warmUp(fleet, load);
    await sleep(2_000); // settle before the baseline: started, consuming, one socket
    baselineRssMb = gatewayMb(gateway).rss;
    const run: Run = { options, gateway, fleet, load, baselineRssMb };
    for (const sockets of options.sockets) {
      logger.log(`step: ${sockets} sockets`);
      const step = await runStep(run, sockets);
      steps.push(step);
      const d = step.push.delivery;
      logger.log(
        `  ${step.connect.connected} connected in ${step.connect.seconds} s, gateway RSS ${step.gatewayMb.peak} MB; ` +
          `push p50 ${step.push.latencyMs.p50} / p99 ${step.push.latencyMs.p99} ms, ${d.delivered}/${d.expected} delivered`,
      );
      stoppedBecause = verdict(step, options) ?? stoppedBecause;
      if (stoppedBecause !== 'all steps done') break;
    }
  } finally {
    fleet.close();
    await feed.close();
    await gateway.close();
  }
  const report = buildReport(options, run, baselineRssMb, steps, stoppedBecause, openFiles);
  printReport(report);
  logger.log(`wrote ${writeReport(report, options.outDir)}`);
  process.exitCode = steps.length > 0 && steps.every((s) => s.push.delivery.missing === 0) ? 0 : 1;
}

/** One socket and an unjudged push phase: the consumer group has joined, the JIT is warm. */
async function warmUp(fleet: SocketFleet, load: PushLoad): Promise<void> {
  logger.log('warm-up: waiting for the gateway consumer to join its group');
  await fleet.grow(1, 1);
  fleet.resetDeliveries();
  const phase = await load.run(1);
  const drained = await drain(fleet, phase.expected, 90);
  if (fleet.check(phase.expected).missing > 0)
    throw new Error(`warm-up pushes did not arrive within ${drained} s: is the gateway consuming?`);
}

async function runStep(run: Run, sockets: number): Promise<StepResult> {
  const { options, gateway, fleet, load } = run;
  const rssBefore = gatewayMb(gateway).rss;
  const socketsBefore = fleet.size;
  const connectCpu = cpuMeter(gateway.pid);
  const connect = await fleet.grow(sockets, options.wave);
  const cpuConnect = connectCpu();
  await sleep(2_000); // let the connection churn settle before reading RSS
  const rssConnected = gatewayMb(gateway).rss;
  fleet.resetDeliveries();
  const pushCpu = cpuMeter(gateway.pid);
  const phase = await load.run(options.pushSeconds);
  const drainSeconds = await drain(fleet, phase.expected, options.drainSeconds);
  const cpuPush = pushCpu();
  const memory = gatewayMb(gateway);
  return {
    sockets,
    connect,
    gatewayMb: { rssBefore, rssConnected, rssAfterPush: memory.rss, peak: memory.peak },
    rssPer1000SocketsMb: round(
      ((rssConnected - run.baselineRssMb) / Math.max(1, connect.connected)) * 1000,
      1,
    ),
    addedRssPer1000SocketsMb: round(
      ((rssConnected - rssBefore) / Math.max(1, sockets - socketsBefore)) * 1000,
      1,
    ),
    push: {
      rate: options.rate,
      published: phase.published,
      publishedPerSecond: phase.publishedPerSecond,
      latencyMs: fleet.latency(),
      delivery: fleet.check(phase.expected),
      drainSeconds,
    },
    cpuPercent: {
      gatewayConnect: cpuConnect.gateway,
      loadGeneratorConnect: cpuConnect.self,
      gatewayPush: cpuPush.gateway,
      loadGeneratorPush: cpuPush.self,
    },
    connectedAfterPush: fleet.connected,
    disconnects: { ...fleet.disconnects },
    loadGeneratorRssMb: round(process.memoryUsage().rss / 1024 ** 2, 0),
    loadAverage: loadavg().map((l) => round(l, 2)),
    withinBudget: memory.peak <= options.budgetMb,
  };
}

/** Why stepping stops after this step, if it does. */
function verdict(step: StepResult, options: GatewayBenchOptions): string | undefined {
  if (!step.withinBudget) return `gateway peak RSS ${step.gatewayMb.peak} MB over ${options.budgetMb} MB`;
  if (step.connect.failed > 0) return `${step.connect.failed} sockets failed to connect`;
  if (step.connectedAfterPush < step.sockets)
    return `${step.sockets - step.connectedAfterPush} sockets dropped`;
  return undefined;
}

/** Waits until every expected push arrived or `seconds` passed; returns the seconds waited. */
async function drain(fleet: SocketFleet, expected: Set<string>, seconds: number): Promise<number> {
  const started = now();
  while (fleet.check(expected).delivered < expected.size && now() - started < seconds * 1000)
    await sleep(100);
  return round((now() - started) / 1000, 2);
}

function gatewayMb(gateway: GatewayProcess): { rss: number; peak: number } {
  const sample = sampleProcess(gateway.pid);
  if (!sample) throw new Error(`the gateway exited; see ${gateway.logFile()}`);
  return { rss: round(sample.rssMb, 0), peak: round(sample.peakRssMb, 0) };
}

/** Starts measuring; the returned function gives CPU % of one core of the gateway and of this process. */
function cpuMeter(gatewayPid: number): () => { gateway: number; self: number } {
  const started = now();
  const gateway = sampleProcess(gatewayPid)?.cpuSeconds ?? 0;
  const self = process.cpuUsage();
  return () => {
    const seconds = (now() - started) / 1000;
    const own = process.cpuUsage(self);
    return {
      gateway: round((((sampleProcess(gatewayPid)?.cpuSeconds ?? 0) - gateway) / seconds) * 100, 0),
      self: round(((own.user + own.system) / 1e6 / seconds) * 100, 0),
    };
  };
}

function buildReport(
  options: GatewayBenchOptions,
  run: { startedAt: Date; commit: string },
  baselineRssMb: number,
  steps: StepResult[],
  stoppedBecause: string,
  openFiles: number,
): GatewayBenchReport {
  const held = steps.filter((s) => s.withinBudget && s.connectedAfterPush === s.sockets).at(-1);
  const perSocketMb = held ? held.rssPer1000SocketsMb / 1000 : 0;
  const projected =
    held && perSocketMb > 0
      ? Math.floor(held.connect.connected + (options.budgetMb - held.gatewayMb.peak) / perSocketMb)
      : 0;
  return {
    startedAt: run.startedAt.toISOString(),
    commit: run.commit,
    machine: { ...machine(), openFilesLimit: openFiles },
    options,
    settings: {
      nodeEnv: 'production',
      adapter: options.redis ? 'redis-streams' : 'in-memory',
      transport: 'websocket',
      latency: "socket receipt − the event's occurredAt (set when the status is committed upstream)",
      loadGenerator: 'one Node process on the same machine as the gateway, Kafka and Postgres',
    },
    baselineRssMb,
    steps,
    maxSocketsWithinBudget: held?.connect.connected ?? 0,
    projectedSocketsAtBudget: projected,
    stoppedBecause,
  };
}

/** The soft limit on open files of this process (the gateway inherits it). */
function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1] ?? NaN);
}

runBenchmark(main, logger);
