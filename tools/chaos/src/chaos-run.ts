import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signToken } from '@orderflow/service-defaults';
import { REPO_ROOT, seedProduct, TEST_JWT_SECRET, uniqueName, waitFor } from '@orderflow/testing';
import { ChaosStack } from './chaos-stack';
import { drawSchedule, Fault, FaultType, GATEWAYS } from './fault-schedule';
import { checkInvariants, pendingWork, socketsConverged, Violation } from './invariants';
import { CHAOS_SKUS, ChaosCustomer, drawOrderBody, OrderLoadStats, placeWithRetries } from './load';
import {
  KillContext,
  killMidWork,
  MidWorkKill,
  midRequestViolations,
  MidWorkSummary,
  summarizeKills,
} from './mid-work-kill';
import { Prng } from './prng';

export interface ChaosOptions {
  durationMs: number;
  /** Orders per second, over all customers. */
  ratePerSec: number;
  seed: number;
  customers?: number;
  /** How long the system may take to settle after the faults stop. */
  quiescenceTimeoutMs?: number;
  /** Restart the machine's Postgres cluster instead of terminating the run's backends (CI only). */
  postgresRestart?: boolean;
  kafkaPort?: number;
  kafkaControllerPort?: number;
  kafkaProxyPort?: number;
  outFile?: string;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

export interface InjectedFault extends Fault {
  startedAtMs: number;
  endedAtMs: number;
  detail?: Record<string, unknown>;
  error?: string;
}

export interface ChaosReport {
  run: string;
  seed: number;
  durationMs: number;
  /** How long the load ran: past `durationMs` while the kill lane was not through. */
  loadMs: number;
  ratePerSec: number;
  faults: {
    byType: Partial<Record<FaultType, number>>;
    injected: InjectedFault[];
    /** One line a fault, in start order: when it ran (s after the load started) and what it hit. */
    timeline: string[];
  };
  /** Every SIGKILL: the work it was meant to land in, and what the instance was doing when it did. */
  killsMidWork: MidWorkSummary;
  orders: OrderLoadStats & { byStatus: Record<string, number> };
  violations: Violation[];
  violationCount: number;
  /** From the end of the last fault until every order was terminal, outboxes drained and sockets converged. */
  timeToRecoverMs: number | null;
  unexpectedExits: ChaosStack['unexpectedExits'];
  socketReconnects: number;
  logDir: string;
  reportFile: string;
}

const MAX_KILL_DEFERRALS = 2;
const MAX_LOAD_EXTENSION_MS = 60_000;
// Shorter than the 30 s default: a killed consumer stalls its group (and so the saga) until its
// session ends, and every aimed kill needs the saga flowing.
const SERVICE_SESSION_TIMEOUT_MS = 10_000;
const GATEWAY_SESSION_TIMEOUT_MS = 6_000;

/** Load through the public API and Socket.IO, faults from the seed, then quiescence and the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const name = uniqueName('chaos');
  const runDir = join(REPO_ROOT, 'tmp/chaos', name);
  mkdirSync(runDir, { recursive: true });
  const stack = new ChaosStack({
    name,
    logDir: join(runDir, 'logs'),
    kafkaPort: options.kafkaPort ?? 19094,
    kafkaControllerPort: options.kafkaControllerPort ?? 19093,
    kafkaProxyPort: options.kafkaProxyPort ?? 19092,
    kafkaStateDir: join(REPO_ROOT, '.infra/kafka-chaos'),
    postgresRestart: options.postgresRestart ?? false,
    serviceSessionTimeoutMs: SERVICE_SESSION_TIMEOUT_MS,
    gatewaySessionTimeoutMs: GATEWAY_SESSION_TIMEOUT_MS,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  const customers: ChaosCustomer[] = [];
  try {
    log(
      `chaos ${name}: seed ${options.seed}, ${options.durationMs / 1000}s at ${options.ratePerSec} orders/s`,
    );
    await stack.start();
    log('stack ready');
    const admin = signToken('chaos-admin', TEST_JWT_SECRET, { admin: true });
    for (const sku of CHAOS_SKUS)
      await seedProduct(stack.url('inventory-service'), admin, sku.sku, {
        priceCents: sku.priceCents,
        available: sku.initial,
      });
    for (let i = 0; i < (options.customers ?? 8); i++) {
      const id = `chaos-customer-${i}`;
      const customer = new ChaosCustomer(
        id,
        signToken(id, TEST_JWT_SECRET),
        stack.url(GATEWAYS[i % GATEWAYS.length]),
      );
      customer.connect();
      customers.push(customer);
    }
    return await drive(stack, customers, options, name, runDir, log);
  } finally {
    for (const customer of customers) customer.close();
    await stack.close();
  }
}

async function drive(
  stack: ChaosStack,
  customers: ChaosCustomer[],
  options: ChaosOptions,
  name: string,
  runDir: string,
  log: (line: string) => void,
): Promise<ChaosReport> {
  const t0 = Date.now();
  const since = () => Date.now() - t0;
  const rng = new Prng(options.seed ^ 0x5eed);
  const stats: OrderLoadStats = {
    attempted: 0,
    accepted: 0,
    abandoned: 0,
    retriedBecause: {},
    unexpectedAnswers: [],
  };
  const orders = new Map<string, ChaosCustomer>();
  let inFlight = 0;
  const placements: Promise<unknown>[] = [];
  /** One order as a client places it: same Idempotency-Key on every retry, tracked once accepted. */
  const place = (customer: ChaosCustomer, body: Record<string, unknown>, key?: string) => {
    stats.attempted++;
    inFlight++;
    const placing = placeWithRetries(stack.url('order-service'), customer.token, body, stats, 90_000, key)
      .then((placed) => {
        if (!placed) return void stats.abandoned++;
        stats.accepted++;
        orders.set(placed.orderId, customer);
        customer.track(placed.orderId);
        return placed;
      })
      .finally(() => inFlight--);
    placements.push(placing);
    return placing;
  };

  const lanes = drawSchedule({
    seed: options.seed,
    startMs: Math.min(5_000, options.durationMs * 0.05),
    endMs: options.durationMs * 0.75,
    serviceSessionTimeoutMs: SERVICE_SESSION_TIMEOUT_MS,
    gatewaySessionTimeoutMs: GATEWAY_SESSION_TIMEOUT_MS,
  });
  const injected: InjectedFault[] = [];
  // Restarts run in the background: a restarted consumer waits up to a session timeout to rejoin.
  const restarts: Promise<void>[] = [];
  const kills: MidWorkKill[] = [];
  const killContext: KillContext = {
    stack,
    inFlightOrders: () => inFlight,
    place: (body, key) => place(customers[0], body, key),
    customer: customers[0],
    background: (work) => void restarts.push(work),
  };
  // A kill whose work is nowhere to be seen (the saga stalled by another fault) is put off to the
  // end of its lane, at most twice, and never past this point (the load must still be running).
  const lastKillChanceMs = options.durationMs * 0.85;
  const runLane = async (lane: Fault[]) => {
    const queue = [...lane];
    for (let fault = queue.shift(); fault; fault = queue.shift()) {
      const wait = fault.at - since();
      if (wait > 0) await sleep(wait);
      const record: InjectedFault = { ...fault, startedAtMs: since(), endedAtMs: 0 };
      log(
        `fault ${fault.type} ${fault.target} (${fault.holdMs} ms) at ${(record.startedAtMs / 1000).toFixed(1)}s`,
      );
      const lastChance = (fault.deferred?.length ?? 0) >= MAX_KILL_DEFERRALS || since() > lastKillChanceMs;
      try {
        const detail = await inject(stack, fault, killContext, kills, restarts, lastChance);
        if ('deferred' in detail) {
          const note = `${(record.startedAtMs / 1000).toFixed(1)}s: ${String(detail.deferred)}`;
          log(`fault ${fault.type} ${fault.target} put off: ${note}`);
          queue.push({ ...fault, at: since() + 2_000, deferred: [...(fault.deferred ?? []), note] });
          continue;
        }
        record.detail = detail;
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
        log(`fault ${fault.type} ${fault.target} failed: ${record.error}`);
      }
      record.endedAtMs = since();
      injected.push(record);
    }
  };
  let killsDone = false;
  const faults = Promise.all([
    runLane(lanes[0]).finally(() => void (killsDone = true)),
    ...lanes.slice(1).map(runLane),
  ]);

  // Every aimed kill waits for the saga to flow, so the load goes on (within a bound) until the
  // kill lane is through, however long other faults stalled it.
  const interval = 1_000 / options.ratePerSec;
  const loadBoundMs = options.durationMs + MAX_LOAD_EXTENSION_MS;
  const loadGoesOn = () => since() < options.durationMs || (!killsDone && since() < loadBoundMs);
  for (let n = 0; loadGoesOn(); n++) {
    const due = n * interval - since();
    if (due > 0) await sleep(due);
    const customer = customers[rng.int(0, customers.length - 1)];
    void place(customer, drawOrderBody(rng));
  }
  const loadMs = since();
  log(
    `load done after ${(loadMs / 1000).toFixed(1)}s: ${stats.attempted} attempted; waiting for the faults to end`,
  );
  await faults;
  await Promise.all(placements);
  await Promise.all(restarts);
  await Promise.all(placements); // retries of the mid-request kills, placed from the background
  const lastFaultEnd = Math.max(...injected.map((f) => f.endedAtMs));
  log(`faults done at ${(lastFaultEnd / 1000).toFixed(1)}s; waiting for quiescence`);
  let timeToRecoverMs: number | null = null;
  const violations: Violation[] = [];
  const orderIds = [...orders.keys()];
  try {
    await stack.allReady(120_000);
    await waitFor(
      'quiescence (orders terminal, outboxes drained, sockets converged)',
      async () => {
        const work = await pendingWork(stack, orderIds);
        return work.open === 0 && work.outbox === 0 && (await socketsConverged(stack, customers, orderIds));
      },
      { timeoutMs: options.quiescenceTimeoutMs ?? 180_000, intervalMs: 500 },
    );
    timeToRecoverMs = Math.max(0, since() - lastFaultEnd);
    log(`quiet ${(timeToRecoverMs / 1000).toFixed(1)}s after the last fault`);
  } catch (error) {
    violations.push({
      invariant: 'quiescence',
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  const checked = await checkInvariants({ stack, orders, customers, skus: CHAOS_SKUS });
  violations.push(...checked.violations);
  for (const answer of stats.unexpectedAnswers)
    violations.push({ invariant: 'valid-order-accepted', detail: answer });
  violations.push(...midRequestViolations(kills));
  for (const fault of injected.filter((f) => f.error))
    violations.push({ invariant: 'fault-injected', detail: `${fault.type} ${fault.target}: ${fault.error}` });
  const byStatus: Record<string, number> = {};
  for (const order of checked.finals.values()) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
  const byType: Partial<Record<FaultType, number>> = {};
  for (const fault of injected) if (!fault.error) byType[fault.type] = (byType[fault.type] ?? 0) + 1;
  const reportFile = options.outFile ?? join(runDir, 'report.json');
  const report: ChaosReport = {
    run: name,
    seed: options.seed,
    durationMs: options.durationMs,
    loadMs,
    ratePerSec: options.ratePerSec,
    faults: { byType, injected, timeline: timeline(injected) },
    killsMidWork: summarizeKills(kills),
    orders: { ...stats, byStatus },
    violations,
    violationCount: violations.length,
    timeToRecoverMs,
    unexpectedExits: stack.unexpectedExits,
    socketReconnects: customers.reduce((n, c) => n + Math.max(0, c.reconnects - 1), 0),
    logDir: join(runDir, 'logs'),
    reportFile,
  };
  writeFileSync(reportFile, JSON.stringify(report, null, 2));
  return report;
}

function timeline(injected: InjectedFault[]): string[] {
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return [...injected]
    .sort((a, b) => a.startedAtMs - b.startedAtMs)
    .map((f) => {
      const kill = f.detail?.midWork as MidWorkKill | undefined;
      const put = f.deferred?.length ? `, put off ${f.deferred.length}×` : '';
      const caught = kill ? ` (${kill.wanted}: ${kill.observed ? 'caught' : 'not caught'}${put})` : '';
      return `${seconds(f.startedAtMs)}–${seconds(f.endedAtMs)}s ${f.type} ${f.target}${caught}`;
    });
}

/** Applies one fault and undoes it after its hold time; returns what it observed. */
async function inject(
  stack: ChaosStack,
  fault: Fault,
  killContext: KillContext,
  kills: MidWorkKill[],
  restarts: Promise<void>[],
  lastChance: boolean,
): Promise<Record<string, unknown>> {
  const proxy = fault.target === 'kafka' ? stack.kafkaProxy : stack.postgresProxy;
  switch (fault.type) {
    case 'kill': {
      const midWork = await killMidWork(killContext, fault.target, fault.midWork ?? 'under-load', lastChance);
      if ('deferred' in midWork) return midWork as unknown as Record<string, unknown>;
      if (fault.deferred) midWork.deferred = fault.deferred;
      kills.push(midWork);
      const detail: Record<string, unknown> = { midWork };
      await sleep(fault.holdMs);
      const restartStarted = Date.now();
      restarts.push(
        stack.revive(fault.target).then(() => void (detail.readyAfterMs = Date.now() - restartStarted)),
      );
      return detail;
    }
    case 'pause':
      stack.signal(fault.target, 'SIGSTOP');
      await sleep(fault.holdMs).finally(() => stack.signal(fault.target, 'SIGCONT'));
      return {};
    case 'kafka-restart': {
      await stack.killBroker();
      await sleep(fault.holdMs);
      const started = Date.now();
      await stack.brokerUp();
      return { brokerStartMs: Date.now() - started };
    }
    case 'postgres-outage':
      return { backendsTerminated: await stack.postgresOutage(fault.holdMs) };
    case 'latency':
      proxy.setLatency(fault.latencyMs ?? 100);
      await sleep(fault.holdMs);
      proxy.restore();
      return {};
    case 'cut':
      proxy.cut();
      await sleep(fault.holdMs);
      proxy.restore();
      return {};
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
