import { Client } from 'pg';
import { CustomerSockets, TERMINAL } from './customers';
import { hopLatency, HopLatency } from './hops';
import { stageLatency, StageLatency, StageSource } from './stages';
import { HttpSender } from './http-client';
import { Arrival, EXPECTED_TERMINAL, runArrivals } from './load-generator';
import { BrokerJit } from './metrics/broker-jit';
import { KafkaCounter } from './metrics/kafka-stats';
import { OutboxBacklog } from './metrics/outbox-backlog';
import { delta, PgCommitCounter, pgDelta, sum } from './metrics/pg-stats';
import { ProcessUsage, ResourceMonitor } from './metrics/resource-monitor';
import { OrderMix } from './options';
import { now, percentiles, Percentiles, round, sleep } from './stats';

export interface StepResult {
  rate: number;
  seconds: number;
  sustainable: boolean;
  verdict: string[];
  orders: {
    offered: number;
    accepted: number;
    /** Accepted POSTs that carried an Idempotency-Key (`--keyed-percent`). */
    acceptedKeyed: number;
    completedInStep: number;
    completedPerSecond: number;
  };
  errors: StepErrors;
  /** How late the generator sent requests relative to their schedule (its own health). */
  sendLagMs: Percentiles;
  postLatencyMs: Percentiles;
  terminalLatencyMs: Percentiles;
  terminalLatencyByOutcomeMs: Record<string, Percentiles>;
  /** The same per second of the step, by when each order was due: a stall shows as a run of slow seconds. */
  terminalLatencyBySecondMs: Array<{ second: number } & Percentiles>;
  hopLatencyMs: HopLatency;
  stageLatencyMs: StageLatency;
  /** The Kafka messages the stage latencies were read from, and how long reading them took. */
  stageSource: StageSource;
  backlog: { inFlightAtStepEnd: number; maxOutbox: number; maxConsumerLag: number; drainMs: number };
  /** Most members seen in one of the run's consumer groups beyond its own instances (0 = not shared with another stack). */
  maxForeignGroupMembers: number;
  postgres: {
    commits: number;
    commitsPerOrder: number;
    commitsPerSecond: number;
    byDatabase: Record<string, number>;
    /** Rows inserted, updated or deleted per order, over the run's databases. */
    rowsWrittenPerOrder: number;
    rowsWrittenByDatabase: Record<string, number>;
    /** WAL written per order, in KB (the server's WAL: other databases' writes count too). */
    walKbPerOrder: number;
    /** WAL full-page images per order (written on a page's first change after a checkpoint). */
    walFullPageImagesPerOrder: number;
  };
  kafka: { messages: number; messagesPerOrder: number; byTopic: Record<string, number> };
  processes: Record<string, ProcessUsage & { cpuMsPerOrder: number }>;
  /** Seconds the Kafka broker's JVM spent JIT-compiling during the step (undefined: not measured). */
  brokerJitSeconds?: number;
}

export interface StepErrors {
  /** POSTs answered with anything but 202, or not answered at all. */
  http: number;
  wrongOutcome: number;
  notTerminal: number;
  missedPush: number;
  /** Up to MAX_ERROR_SAMPLES of the above, described. */
  samples: string[];
}

const MAX_ERROR_SAMPLES = 10;

export interface StepContext {
  client: HttpSender;
  sockets: CustomerSockets;
  skus: string[];
  mix: OrderMix;
  keyedShare: number;
  sequence: { next: number };
  pg: PgCommitCounter;
  kafka: KafkaCounter;
  outbox: OutboxBacklog;
  monitor: ResourceMonitor;
  brokerJit: BrokerJit;
  /** A connection to order-service's database: statuses and history, read after each step. */
  orderDb: Client;
  serviceDatabaseUrls: Record<string, string>;
  drainSeconds: number;
}

/** One step of the benchmark: `rate` orders/s for `seconds`, then drain, then measure. */
export async function runStep(ctx: StepContext, rate: number, seconds: number): Promise<StepResult> {
  ctx.monitor.begin();
  const jitBefore = ctx.brokerJit.compileSeconds();
  const pgBefore = await ctx.pg.read();
  const endsBefore = await ctx.kafka.partitionEnds();
  const backlogSampler = sampleBacklog(ctx);

  const stepStart = now();
  const arrivals = await runArrivals({ ...ctx, customers: ctx.sockets.customers, rate, seconds });
  const stepEnd = Math.max(stepStart + seconds * 1000, ...arrivals.map((a) => a.scheduledAt));
  const accepted = arrivals.filter((a) => a.orderId);
  const inFlightAtStepEnd = accepted.filter(
    (a) => (ctx.sockets.terminal.get(a.orderId!)?.at ?? Infinity) > stepEnd,
  ).length;

  await waitForTerminal(ctx, accepted, stepEnd + ctx.drainSeconds * 1000);
  const samples = await backlogSampler.stop();
  await sleep(1_500); // pg_stat_database is flushed by backends about once a second
  const pgWork = pgDelta(await ctx.pg.read(), pgBefore);
  const endsAfter = await ctx.kafka.partitionEnds();
  const messages = delta(ctx.kafka.totals(endsAfter), ctx.kafka.totals(endsBefore));
  const usage = ctx.monitor.end();
  const jitAfter = ctx.brokerJit.compileSeconds();

  const outcomes = await classify(ctx, arrivals);
  const terminalTimes = accepted
    .map((a) => ctx.sockets.terminal.get(a.orderId!)?.at)
    .filter((t) => t !== undefined);
  const completedInStep = terminalTimes.filter((t) => t >= stepStart && t <= stepEnd).length;
  const lastTerminal = Math.max(stepEnd, ...terminalTimes);
  const stages = await stageLatency({
    databaseUrls: ctx.serviceDatabaseUrls,
    orderIds: accepted.map((a) => a.orderId!),
    from: endsBefore,
    to: endsAfter,
  });
  const orderCount = Math.max(1, accepted.length);
  const commitCount = sum(pgWork.commits) - samples.ownQueriesByDatabase;
  const result: StepResult = {
    rate,
    seconds,
    sustainable: false,
    verdict: [],
    orders: {
      offered: arrivals.length,
      accepted: accepted.length,
      acceptedKeyed: accepted.filter((a) => a.keyed).length,
      completedInStep,
      completedPerSecond: round(completedInStep / seconds),
    },
    errors: outcomes.errors,
    sendLagMs: percentiles(arrivals.map((a) => a.sentAt! - a.scheduledAt)),
    postLatencyMs: percentiles(arrivals.map((a) => a.answeredAt! - a.scheduledAt)),
    terminalLatencyMs: percentiles(outcomes.latencies.map((l) => l.ms)),
    terminalLatencyByOutcomeMs: byOutcome(outcomes.latencies),
    terminalLatencyBySecondMs: bySecond(outcomes.latencies, stepStart),
    stageLatencyMs: stages.latency,
    stageSource: stages.source,
    hopLatencyMs: await hopLatency(
      ctx.orderDb,
      accepted.map((a) => a.orderId!),
    ),
    backlog: {
      inFlightAtStepEnd,
      maxOutbox: samples.maxOutbox,
      maxConsumerLag: samples.maxLag,
      drainMs: Math.round(lastTerminal - stepEnd),
    },
    maxForeignGroupMembers: samples.maxForeignMembers,
    postgres: {
      commits: commitCount,
      commitsPerOrder: round(commitCount / orderCount, 2),
      commitsPerSecond: Math.round(commitCount / seconds),
      byDatabase: pgWork.commits,
      rowsWrittenPerOrder: round(sum(pgWork.rowsWritten) / orderCount, 1),
      rowsWrittenByDatabase: pgWork.rowsWritten,
      walKbPerOrder: round(pgWork.walBytes / 1024 / orderCount, 2),
      walFullPageImagesPerOrder: round(pgWork.walFullPageImages / orderCount, 2),
    },
    kafka: {
      messages: sum(messages),
      messagesPerOrder: round(sum(messages) / orderCount, 2),
      byTopic: messages,
    },
    processes: Object.fromEntries(
      Object.entries(usage).map(([name, u]) => [
        name,
        { ...u, cpuMsPerOrder: round((u.cpuSeconds * 1000) / orderCount, 2) },
      ]),
    ),
    brokerJitSeconds:
      jitBefore === undefined || jitAfter === undefined ? undefined : round(jitAfter - jitBefore, 2),
  };
  result.verdict = judge(result);
  result.sustainable = result.verdict.length === 0;
  return result;
}

/** Reasons the step is not sustainable (none: it is). */
export function judge(
  step: Pick<StepResult, 'errors' | 'orders' | 'backlog' | 'rate' | 'seconds'>,
): string[] {
  const reasons: string[] = [];
  const { errors, orders, backlog, rate } = step;
  if (errors.http > 0) reasons.push(`${errors.http} POST errors`);
  if (errors.wrongOutcome > 0) reasons.push(`${errors.wrongOutcome} orders ended in an unexpected status`);
  if (errors.notTerminal > 0) reasons.push(`${errors.notTerminal} orders not terminal after the drain time`);
  if (errors.missedPush > 0) reasons.push(`${errors.missedPush} terminal statuses never reached the socket`);
  if (orders.offered < 0.98 * rate * step.seconds)
    reasons.push('the load generator fell behind its schedule');
  // Bounded backlog: at the end of the step no more than 2 s worth of arrivals is still in flight.
  if (backlog.inFlightAtStepEnd > Math.max(20, 2 * rate))
    reasons.push(`${backlog.inFlightAtStepEnd} orders in flight at the end of the step (backlog grew)`);
  if (orders.completedPerSecond < 0.9 * rate)
    reasons.push(`completions ${orders.completedPerSecond}/s < 90% of arrivals`);
  return reasons;
}

async function waitForTerminal(ctx: StepContext, accepted: Arrival[], deadline: number) {
  while (now() < deadline) {
    if (accepted.every((a) => ctx.sockets.terminal.has(a.orderId!))) return;
    await sleep(20);
  }
}

export interface OutcomeLatency {
  kind: string;
  /** When the order's POST was due (epoch ms). */
  scheduledAt: number;
  ms: number;
}

/** The step's POSTs that created no order, counted and described. */
export function postErrors(arrivals: Arrival[]): StepErrors {
  const errors: StepErrors = { http: 0, wrongOutcome: 0, notTerminal: 0, missedPush: 0, samples: [] };
  for (const arrival of arrivals) {
    if (arrival.orderId) continue;
    errors.http += 1;
    if (errors.samples.length < MAX_ERROR_SAMPLES)
      errors.samples.push(`POST /orders (${arrival.kind}) failed: ${arrival.error ?? 'no answer'}`);
  }
  return errors;
}

/**
 * Latency and correctness of each order: POSTs that failed are errors; accepted orders with no
 * terminal push are looked up.
 */
async function classify(ctx: StepContext, arrivals: Arrival[]) {
  const latencies: OutcomeLatency[] = [];
  const errors = postErrors(arrivals);
  const unseen: Arrival[] = [];
  for (const arrival of arrivals.filter((a) => a.orderId)) {
    const seen = ctx.sockets.terminal.get(arrival.orderId!);
    if (!seen) {
      unseen.push(arrival);
      continue;
    }
    latencies.push({
      kind: arrival.kind,
      scheduledAt: arrival.scheduledAt,
      ms: seen.at - arrival.scheduledAt,
    });
    if (seen.status !== EXPECTED_TERMINAL[arrival.kind]) {
      errors.wrongOutcome += 1;
      if (errors.samples.length < MAX_ERROR_SAMPLES)
        errors.samples.push(`${arrival.orderId} (${arrival.kind}) ended ${seen.status}`);
    }
  }
  if (unseen.length > 0) {
    const statuses = await statusesOf(
      ctx.orderDb,
      unseen.map((a) => a.orderId!),
    );
    for (const arrival of unseen) {
      const status = statuses.get(arrival.orderId!);
      if (status && TERMINAL.has(status)) errors.missedPush += 1;
      else errors.notTerminal += 1;
      if (errors.samples.length < MAX_ERROR_SAMPLES)
        errors.samples.push(
          `${arrival.orderId} (${arrival.kind}) is ${status ?? 'missing'}, no terminal push`,
        );
    }
  }
  return { latencies, errors };
}

async function statusesOf(orderDb: Client, orderIds: string[]): Promise<Map<string, string>> {
  const { rows } = await orderDb.query<{ id: string; status: string }>(
    'select id, status from orders where id = any($1::uuid[])',
    [orderIds],
  );
  return new Map(rows.map((row) => [row.id, row.status]));
}

function byOutcome(latencies: OutcomeLatency[]): Record<string, Percentiles> {
  const kinds = grouped(latencies, (l) => l.kind);
  return Object.fromEntries([...kinds].map(([kind, values]) => [kind, percentiles(values)]));
}

/** The latencies (ms) of each key, keys in the order first seen. */
function grouped<K>(latencies: OutcomeLatency[], keyOf: (latency: OutcomeLatency) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  for (const latency of latencies) {
    const key = keyOf(latency);
    const values = groups.get(key) ?? [];
    values.push(latency.ms);
    groups.set(key, values);
  }
  return groups;
}

/** Samples outbox backlog and consumer lag once a second while the step runs. */
function sampleBacklog(ctx: StepContext) {
  let maxOutbox = 0;
  let maxLag = 0;
  let maxForeignMembers = 0;
  let ownQueries = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [outbox, lag, members] = await Promise.all([
        ctx.outbox.read(),
        ctx.kafka.lag(),
        ctx.kafka.foreignMembers(),
      ]);
      maxForeignMembers = Math.max(maxForeignMembers, ...Object.values(members));
      ownQueries += Object.keys(outbox).length;
      maxOutbox = Math.max(maxOutbox, sum(outbox));
      maxLag = Math.max(maxLag, sum(lag));
      await sleep(1_000);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      // Our own sampling queries are transactions in the run's databases too: not the saga's.
      return { maxOutbox, maxLag, maxForeignMembers, ownQueriesByDatabase: ownQueries };
    },
  };
}

/** Percentiles of the orders due in each second since `start`, in order; seconds with none are left out. */
export function bySecond(
  latencies: OutcomeLatency[],
  start: number,
): Array<{ second: number } & Percentiles> {
  const seconds = grouped(latencies, (l) => Math.floor((l.scheduledAt - start) / 1_000));
  return [...seconds]
    .sort(([a], [b]) => a - b)
    .map(([second, values]) => ({ second, ...percentiles(values) }));
}
