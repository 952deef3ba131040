import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { DEMO_ADDRESS } from '@orderflow/testing';
import type { ChaosStack } from './chaos-stack';
import { ActivitySample, DbActivityProbe, OpenTransaction } from './db-activity-probe';
import type { MidWorkCondition } from './fault-schedule';
import { followBatch, lookForMidBatch, RELAY_SEND_HOLD_MS, RelayBatchAtKill } from './relay-mid-batch';

/** One SIGKILL and what the instance was doing when it landed. */
export interface MidWorkKill {
  target: string;
  wanted: MidWorkCondition;
  /** The wanted condition held at the kill: checked with the process stopped, just before SIGKILL. */
  observed: boolean;
  /** Sightings of the condition (or requests sent) until it held with the process stopped. */
  tries: number;
  /** From the start of the look for the condition until the SIGKILL. */
  waitedMs: number;
  /** Consumer kills: how long the kill first waited for the saga to reach the target. */
  flowWaitMs?: number;
  atKill: {
    inFlightOrders: number;
    backlogEvents?: number;
    relay?: ActivitySample['relay'];
    /** Relay-mid-batch kills: the batch in flight at the kill, and its publication after the restart. */
    relayBatch?: RelayBatchAtKill;
    openTransactions?: OpenTransaction[];
    /** Of `openTransactions`: backends that left still inside their transaction (rolled back by the kill). */
    rolledBack?: number;
    /** Of `openTransactions`: backends whose COMMIT was already on its way. */
    committed?: number;
    request?: MidRequest;
  };
  /** Why the condition was not caught, when it was not. */
  note?: string;
  /** Earlier tries that found the condition nowhere, so the kill was put off (the process left alone). */
  deferred?: string[];
}

/** A kill put off: the condition was not seen within the bound and this was not the last chance. */
export interface DeferredKill {
  deferred: string;
}

/** The run's own POST /orders that order-service was killed in the middle of. */
export interface MidRequest {
  idempotencyKey: string;
  customer: string;
  /** Sent completely, and no response had arrived when the SIGKILL landed. */
  inFlight: boolean;
  /** What became of that attempt on the client's side (a reset, not an answer). */
  firstAttempt?: string;
  /** The key's row had committed before the kill: the retry must replay its order. */
  committedBeforeKill?: boolean;
  /** The client's retry with the same key, once the service was back. */
  retry?: {
    outcome: 'accepted' | 'abandoned';
    orderId?: string;
    attempts?: number;
    /** Rows for (customer, key) afterwards: 1 means no duplicate order. */
    keyRows?: number;
    /** The retry got the order stored for the key. */
    sameOrder?: boolean;
    /** Reading what was stored for the key failed. */
    checkError?: string;
  };
}

export interface KillContext {
  stack: ChaosStack;
  inFlightOrders: () => number;
  /** Places (or goes on placing) an order like the load's clients: retries with the key until 202. */
  place: (body: Record<string, unknown>, key: string) => Promise<{ orderId: string } | undefined>;
  /** The customer the mid-request orders are placed for (its token and id). */
  customer: { id: string; token: string };
  /** Work that finishes after the kill (the retry's check): awaited before the invariants. */
  background: (work: Promise<void>) => void;
  /** How long to wait for the condition, ms. */
  boundMs?: number;
  /** How long a consumer kill waits for the saga to reach its target before it is put off, ms. */
  flowBoundMs?: number;
}

const POLL_MS = 2;
/** With the process stopped, statements already on their way get this long to land. */
const SETTLE_MS = 5;
/** A response the server had written before it was stopped gets this long to arrive. */
const RESPONSE_SETTLE_MS = 25;
/** How long a mid-request attempt waits for order-service to reach its database. */
const REACH_DB_MS = 150;
const DEFAULT_BOUND_MS = 6_000;
/** The relay's target has its Kafka traffic slowed: its consumers bring new work more slowly. */
const MID_BATCH_BOUND_MS = 25_000;
/** Before a consumer kill: how long to wait for the saga to reach the target, and what counts as reaching it. */
const FLOW_BOUND_MS = 20_000;
const FLOW_WINDOW_MS = 2_000;
const FLOW_POLL_MS = 200;
/** Each answered try is an order of the run: keep their number small. */
const MAX_REQUESTS = 12;
export const MID_REQUEST_BODY = {
  items: [{ sku: 'CHAOS-A', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: DEMO_ADDRESS,
};

/**
 * SIGKILLs `target` (and leaves it down) once it is busy with `wanted`, polling its database every
 * few ms up to a bound; the condition is confirmed with the process stopped (SIGSTOP) so that what
 * is recorded is what it was doing when the kill landed. When the bound runs out it is killed
 * anyway and the record says the condition was not caught.
 */
export async function killMidWork(
  ctx: KillContext,
  target: string,
  wanted: MidWorkCondition,
  lastChance = true,
): Promise<MidWorkKill | DeferredKill> {
  const started = Date.now();
  if (wanted === 'under-load') return killUnderLoad(ctx, target, started, lastChance);
  return DbActivityProbe.with(ctx.stack.databaseUrl(target), target, async (probe) => {
    if (wanted === 'request-in-flight') return await killMidRequest(ctx, probe, started, lastChance);
    // A consumer's work comes from the saga: while another fault stalls it, nothing is there to catch.
    const flow = await awaitFlow(ctx, probe, `no event reached ${target}`, lastChance);
    if ('deferred' in flow) return flow;
    const from = Date.now();
    const killed =
      wanted === 'relay-mid-batch'
        ? await killRelayMidBatch(ctx, probe, target, from, lastChance)
        : await killWhen(ctx, probe, target, wanted, from, DEFAULT_BOUND_MS, lastChance, () =>
            lookForTransaction(probe),
          ).then((outcome) => ('deferred' in outcome ? outcome : outcome.record));
    if (!('deferred' in killed)) killed.flowWaitMs = from - started;
    return killed;
  });
}

/**
 * A gateway instance is killed while status pushes flow: the gateways' shared consumer applied
 * OrderStatusChanged events in two windows in a row (their projection changed). Its clients must
 * then reconnect and still end showing every final status.
 */
async function killUnderLoad(
  ctx: KillContext,
  target: string,
  started: number,
  lastChance: boolean,
): Promise<MidWorkKill | DeferredKill> {
  return DbActivityProbe.with(ctx.stack.databaseUrl('gateway'), 'gateway', async (probe) => {
    const flow = await awaitFlow(ctx, probe, 'no status push reached the gateways', lastChance);
    if ('deferred' in flow) return flow;
    const inFlightOrders = ctx.inFlightOrders();
    await ctx.stack.kill(target);
    const record: MidWorkKill = {
      target,
      wanted: 'under-load',
      observed: flow.missing === undefined,
      tries: 1,
      waitedMs: 0,
      flowWaitMs: Date.now() - started,
      atKill: { inFlightOrders },
    };
    if (flow.missing) record.note = `${flow.missing}; killed anyway`;
    return record;
  });
}

/**
 * Waits for the saga to reach the probe's database (waitForFlow). Not reached: the kill is put
 * off, or on its last chance goes ahead with `missing` saying what was not seen.
 */
async function awaitFlow(
  ctx: KillContext,
  probe: DbActivityProbe,
  notReached: string,
  lastChance: boolean,
): Promise<{ missing?: string } | DeferredKill> {
  const bound = ctx.flowBoundMs ?? FLOW_BOUND_MS;
  if (await waitForFlow(probe, bound)) return {};
  const missing = `${notReached} within ${bound} ms`;
  return lastChance ? { missing } : { deferred: missing };
}

/** Consumers without an inbox (ADR 0055): the table and column that show them applying events. */
const OWN_RECORDS: Record<string, [table: string, column: string]> = {
  gateway: ['order_status_projection', 'updated_at'],
  'notification-service': ['notifications', 'sent_at'],
};

/** Whether the app applied an event within the last $1 ms, as its database shows it. */
function recentlyAppliedSql(app: string): string {
  const [table, column] = OWN_RECORDS[app] ?? ['messaging_inbox', 'processed_at'];
  return `select exists (select 1 from ${table}
                          where ${column} > now() - make_interval(secs => $1::double precision / 1000)) as recent`;
}

/**
 * Waits until the target's consumer is applying events: one applied within the last
 * FLOW_WINDOW_MS, twice in a row a window apart (a burst of catch-up after a rejoin is not yet
 * flow). False past the bound.
 */
async function waitForFlow(probe: DbActivityProbe, boundMs: number): Promise<boolean> {
  const until = Date.now() + boundMs;
  let seen = 0;
  do {
    const [row] = await probe
      .query<{ recent: boolean }>(recentlyAppliedSql(probe.app), [FLOW_WINDOW_MS])
      .catch(() => [{ recent: false }]); // database cut off by another fault: not flowing
    seen = row.recent ? seen + 1 : 0;
    if (seen >= 2) return true;
    await sleep(row.recent ? FLOW_WINDOW_MS : FLOW_POLL_MS);
  } while (Date.now() < until);
  return false;
}

/** What a look at the target found: the condition held (and what was seen), or what was missing. */
interface Sighting {
  holds: true;
  sample: ActivitySample;
}
interface Miss {
  holds: false;
  missing: string;
}

async function lookForTransaction(probe: DbActivityProbe): Promise<Sighting | Miss> {
  const sample = await probe.sample().catch(() => undefined);
  if (!sample) return { holds: false, missing: 'database not sampled' };
  if (sample.openTransactions.length === 0) return { holds: false, missing: 'no open transaction' };
  return { holds: true, sample };
}

/**
 * Slows the target's Kafka traffic so the relay's send of the batch it has read is held in
 * flight, kills the target once the batch is seen there (`relayMidBatch`), then lets its Kafka
 * traffic through again and follows the batch until the restarted relay has published it.
 */
async function killRelayMidBatch(
  ctx: KillContext,
  probe: DbActivityProbe,
  target: string,
  started: number,
  lastChance: boolean,
): Promise<MidWorkKill | DeferredKill> {
  const { stack } = ctx;
  const bound = ctx.boundMs ?? MID_BATCH_BOUND_MS;
  stack.kafkaProxy.setLabelLatency(target, RELAY_SEND_HOLD_MS);
  const outcome = await killWhen(ctx, probe, target, 'relay-mid-batch', started, bound, lastChance, () =>
    lookForMidBatch(stack, probe, target),
  ).finally(() => stack.kafkaProxy.setLabelLatency(target, 0)); // the restarted instance is not slowed
  if ('deferred' in outcome) return outcome;
  const { record, caught } = outcome;
  if (caught) {
    const { records, phase, ageMs } = caught.produce;
    const batch: RelayBatchAtKill = {
      kafkaLatencyMs: RELAY_SEND_HOLD_MS,
      produce: { records, phase, ageMs },
    };
    record.atKill.relayBatch = batch;
    const followed = await followBatch(stack, probe, target, batch, started + record.waitedMs);
    if (followed) ctx.background(followed.republished);
  }
  return record;
}

/**
 * Looks at the target every few ms until the condition holds, confirms it with the process
 * stopped and SIGKILLs it; when the bound runs out it is killed anyway (last chance) or the kill
 * is put off.
 */
async function killWhen<S extends Sighting>(
  ctx: KillContext,
  probe: DbActivityProbe,
  target: string,
  wanted: MidWorkCondition,
  started: number,
  bound: number,
  lastChance: boolean,
  look: () => Promise<S | Miss>,
): Promise<{ record: MidWorkKill; caught: S | undefined } | DeferredKill> {
  const { stack } = ctx;
  const misses = new Map<string, number>();
  const miss = (m: Miss) => void misses.set(m.missing, (misses.get(m.missing) ?? 0) + 1);
  let tries = 0;
  let caught: S | undefined;
  while (!caught && Date.now() - started < bound) {
    const seen = await look();
    if (isMiss(seen)) {
      miss(seen);
      await sleep(POLL_MS);
      continue;
    }
    tries++;
    stack.freeze(target);
    try {
      await sleep(SETTLE_MS + stack.postgresProxy.latency);
      const frozen = await look();
      if (isMiss(frozen)) miss(frozen);
      else {
        caught = frozen;
        await stack.kill(target); // SIGKILL ends a stopped process too
      }
    } finally {
      if (!caught) stack.thaw(target);
    }
  }
  const missed = `${wanted} not caught within ${bound} ms (${tries} sightings gone before the process stopped; seen instead: ${mostSeen(misses)})`;
  if (!caught && !lastChance) return { deferred: missed };
  const inFlightOrders = ctx.inFlightOrders();
  let atKill = caught?.sample;
  if (!caught) {
    stack.freeze(target); // what it was doing all the same, as the kill lands
    atKill = await probe.sample().catch(() => undefined);
    await stack.kill(target);
  }
  const record: MidWorkKill = {
    target,
    wanted,
    observed: caught !== undefined,
    tries,
    waitedMs: Date.now() - started,
    atKill: { inFlightOrders, ...activityAtKill(atKill) },
  };
  if (!caught) record.note = `${missed}; killed anyway`;
  const pids = atKill?.openTransactions.map((t) => t.pid) ?? [];
  if (pids.length > 0) {
    const fate = await probe.fateOf(pids, 3_000).catch(() => undefined);
    if (fate)
      Object.assign(record.atKill, { rolledBack: fate.rolledBack.length, committed: fate.committed.length });
  }
  return { record, caught };
}

function isMiss(look: Sighting | Miss): look is Miss {
  return !look.holds;
}

/** The three most frequent reasons a look found nothing, with their counts. */
export function mostSeen(misses: Map<string, number>): string {
  const top = [...misses].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return top.length === 0 ? 'nothing' : top.map(([what, n]) => `${n}× ${what}`).join(', ');
}

/**
 * Sends a POST /orders of its own, lets order-service reach its database with it, stops the
 * process and, if no response has come, SIGKILLs it: the request was in flight. The client then
 * retries with the same Idempotency-Key (in the background, until the service is back).
 */
async function killMidRequest(
  ctx: KillContext,
  probe: DbActivityProbe,
  started: number,
  lastChance: boolean,
): Promise<MidWorkKill | DeferredKill> {
  const { stack } = ctx;
  const target = 'order-service';
  const bound = ctx.boundMs ?? DEFAULT_BOUND_MS;
  let tries = 0;
  await probe.sample().catch(() => undefined); // connected before the request goes out
  while (Date.now() - started < bound && tries < MAX_REQUESTS) {
    tries++;
    const key = randomUUID();
    const call = postOrder(stack.url(target), ctx.customer.token, MID_REQUEST_BODY, key);
    await call.sent;
    let seen: ActivitySample | undefined;
    const reachBy = Date.now() + REACH_DB_MS;
    while (!call.settled() && Date.now() < reachBy) {
      seen = await probe.sample().catch(() => undefined);
      if (seen && seen.openTransactions.length > 0) break;
    }
    stack.freeze(target);
    await sleep(RESPONSE_SETTLE_MS);
    if (call.settled()) {
      // Answered (or refused) before the stop: not in flight. The client goes on as usual.
      stack.thaw(target);
      void ctx.place(MID_REQUEST_BODY, key);
      await sleep(call.answered() ? POLL_MS : 250); // refused: the service is not up right now
      continue;
    }
    const atKill = await probe.sample().catch(() => undefined);
    const inFlightOrders = ctx.inFlightOrders();
    const settledBeforeKill = call.settled();
    await stack.kill(target);
    const waitedMs = Date.now() - started;
    const firstAttempt = await call.outcome;
    // In flight: nothing had come back at the kill, and what came back after it was no answer.
    const midRequest: MidRequest = {
      idempotencyKey: key,
      customer: ctx.customer.id,
      inFlight: !settledBeforeKill && !call.answered(),
      firstAttempt,
    };
    const record: MidWorkKill = {
      target,
      wanted: 'request-in-flight',
      observed: midRequest.inFlight,
      tries,
      waitedMs,
      atKill: { inFlightOrders, ...activityAtKill(atKill), request: midRequest },
    };
    if (!midRequest.inFlight) record.note = `the request was answered before the kill (${firstAttempt})`;
    const pids = atKill?.openTransactions.map((t) => t.pid) ?? [];
    const fate = await probe.fateOf(pids, 3_000).catch(() => undefined);
    if (fate && pids.length > 0)
      Object.assign(record.atKill, { rolledBack: fate.rolledBack.length, committed: fate.committed.length });
    const [stored] = await probe
      .query<{ n: number }>(
        'select count(*)::int as n from idempotency_keys where customer_id = $1 and key = $2 and status_code is not null',
        [ctx.customer.id, key],
      )
      .catch(() => [undefined]);
    if (stored) midRequest.committedBeforeKill = stored.n > 0;
    ctx.background(retryAfterKill(ctx, midRequest));
    return record;
  }
  const missed = `no request of ours was still in flight when order-service was stopped (${tries} tries within ${bound} ms)`;
  if (!lastChance) return { deferred: missed };
  await stack.kill(target);
  return {
    target,
    wanted: 'request-in-flight',
    observed: false,
    tries,
    waitedMs: Date.now() - started,
    atKill: { inFlightOrders: ctx.inFlightOrders() },
    note: `${missed}; killed anyway`,
  };
}

/** The client's retry with the same key, then a look at what order-service stored for that key. */
async function retryAfterKill(ctx: KillContext, request: MidRequest): Promise<void> {
  const placed = await ctx.place(MID_REQUEST_BODY, request.idempotencyKey);
  const retry: NonNullable<MidRequest['retry']> = {
    outcome: placed ? 'accepted' : 'abandoned',
    orderId: placed?.orderId,
  };
  request.retry = retry;
  await DbActivityProbe.with(ctx.stack.databaseUrl('order-service'), 'order-service', async (probe) => {
    try {
      const rows = await probe.query<{ order_id: string | null }>(
        `select response_body->>'orderId' as order_id from idempotency_keys where customer_id = $1 and key = $2`,
        [request.customer, request.idempotencyKey],
      );
      retry.keyRows = rows.length;
      retry.sameOrder = placed !== undefined && rows[0]?.order_id === placed.orderId;
    } catch (error) {
      retry.checkError = error instanceof Error ? error.message : String(error); // a violation
    }
  });
}

function activityAtKill(sample: ActivitySample | undefined): Partial<MidWorkKill['atKill']> {
  if (!sample) return {};
  return {
    backlogEvents: sample.backlogEvents,
    relay: sample.relay,
    openTransactions: sample.openTransactions,
  };
}

interface OrderCall {
  /** Resolves once the request is handed to the kernel completely (or failed before that). */
  sent: Promise<void>;
  /** A response (or an error) has come back. */
  settled: () => boolean;
  /** A response has come back. */
  answered: () => boolean;
  /** `answered <status>`, or the error the client got (a reset when the server was killed). */
  outcome: Promise<string>;
}

function postOrder(baseUrl: string, token: string, body: unknown, key: string): OrderCall {
  const payload = JSON.stringify(body);
  let settled = false;
  let answered = false;
  let markSent: () => void = () => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const outcome = new Promise<string>((resolve) => {
    const req = request(
      `${baseUrl}/orders`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'idempotency-key': key,
        },
      },
      (res) => {
        settled = true;
        answered = true;
        res.resume();
        res.on('end', () => resolve(`answered ${res.statusCode}`));
        res.on('error', (error) => resolve(`answered ${res.statusCode}, then ${error.message}`));
      },
    );
    req.on('finish', markSent);
    req.on('error', (error: NodeJS.ErrnoException) => {
      settled = true;
      markSent();
      resolve(error.code ?? error.message);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
  return { sent, settled: () => settled, answered: () => answered, outcome };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Per wanted condition: kills that wanted it and kills that caught it. */
export interface MidWorkSummary {
  byCondition: Partial<Record<MidWorkCondition, { wanted: number; observed: number }>>;
  kills: MidWorkKill[];
  /** One line per kill whose condition was not caught. */
  notCaught: string[];
}

export function summarizeKills(kills: MidWorkKill[]): MidWorkSummary {
  const byCondition: MidWorkSummary['byCondition'] = {};
  for (const kill of kills) {
    const entry = (byCondition[kill.wanted] ??= { wanted: 0, observed: 0 });
    entry.wanted++;
    if (kill.observed) entry.observed++;
  }
  const notCaught = kills
    .filter((kill) => !kill.observed)
    .map((kill) => `${kill.target} (${kill.wanted}): ${kill.note ?? 'not observed'}`);
  return { byCondition, kills, notCaught };
}

/** A mid-request kill whose retry did not end in exactly one order for the key, as a violation. */
export function midRequestViolations(kills: MidWorkKill[]): { invariant: string; detail: string }[] {
  return kills.flatMap((kill) => {
    const req = kill.atKill.request;
    if (!req) return [];
    const retry = req.retry;
    if (retry?.outcome === 'accepted' && retry.keyRows === 1 && retry.sameOrder) return [];
    return [
      {
        invariant: 'mid-request-retry',
        detail: `key ${req.idempotencyKey}: ${JSON.stringify(retry ?? null)}`,
      },
    ];
  });
}
