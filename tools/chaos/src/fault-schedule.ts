import { Prng } from './prng';

export const SERVICES = [
  'order-service',
  'inventory-service',
  'payment-service',
  'shipping-service',
  'notification-service',
] as const;
export const GATEWAYS = ['gateway-1', 'gateway-2'] as const;

export type FaultType =
  | 'kill' // SIGKILL a service (or gateway instance), restart it after a short downtime
  | 'pause' // SIGSTOP past the consumer session timeout, then SIGCONT
  | 'kafka-restart' // SIGKILL the (private) broker and start it again
  | 'postgres-outage' // terminate every backend of the run's databases for a while (or restart the server)
  | 'latency' // the proxy in front of Kafka or Postgres delays every chunk
  | 'cut'; // the proxy resets every connection and refuses new ones for a while

export interface Fault {
  type: FaultType;
  /** App instance, or `kafka` / `postgres` for infrastructure faults. */
  target: string;
  /** Planned start, ms after the load started. */
  at: number;
  /** How long the fault lasts (downtime, pause, outage), ms. */
  holdMs: number;
  /** Added latency for `latency` faults, ms. */
  latencyMs?: number;
  /** For `kill` faults: the work the instance must be busy with when the SIGKILL lands. */
  midWork?: MidWorkCondition;
  /** Why earlier tries of this kill were put off (its condition was nowhere to be seen). */
  deferred?: string[];
}

/**
 * What a kill waits for (mid-work-kill.ts): order-service with a POST /orders of the run in
 * flight, a relay in the middle of a batch (read, sent to Kafka, not deleted), a consumer with a
 * database transaction open; a gateway instance is killed under load only.
 */
export type MidWorkCondition = 'request-in-flight' | 'relay-mid-batch' | 'open-transaction' | 'under-load';

/** Services whose consumers publish events (so their relay has batches to be killed in). */
const RELAYING_CONSUMERS = ['inventory-service', 'payment-service', 'shipping-service'] as const;

export interface ScheduleOptions {
  seed: number;
  /** Fault window: faults start within [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** Longest consumer session timeout of the services (their pause must exceed it). */
  serviceSessionTimeoutMs: number;
  gatewaySessionTimeoutMs: number;
}

/**
 * The run's faults, drawn from the seed, in three lanes that run side by side (each lane one
 * fault at a time): process kills (every service and a gateway instance at least once), pauses
 * (one service and one gateway instance, each past its session timeout), infrastructure (broker
 * restart, Postgres outage, latency and cuts in front of Kafka and Postgres).
 */
export function drawSchedule(options: ScheduleOptions): Fault[][] {
  const rng = new Prng(options.seed);
  const kills: Omit<Fault, 'at'>[] = rng
    .shuffle([...SERVICES, rng.pick(GATEWAYS)])
    .map((target) => ({ type: 'kill', target, holdMs: rng.int(500, 3_000) }));
  const pauses: Omit<Fault, 'at'>[] = [
    {
      type: 'pause',
      target: rng.pick(SERVICES),
      holdMs: options.serviceSessionTimeoutMs + rng.int(2_000, 4_000),
    },
    {
      type: 'pause',
      target: rng.pick(GATEWAYS),
      holdMs: options.gatewaySessionTimeoutMs + rng.int(2_000, 4_000),
    },
  ];
  const infra: Omit<Fault, 'at'>[] = rng.shuffle([
    { type: 'kafka-restart', target: 'kafka', holdMs: rng.int(0, 2_000) },
    { type: 'postgres-outage', target: 'postgres', holdMs: rng.int(2_000, 5_000) },
    { type: 'latency', target: 'kafka', holdMs: rng.int(3_000, 6_000), latencyMs: rng.int(50, 300) },
    { type: 'latency', target: 'postgres', holdMs: rng.int(3_000, 6_000), latencyMs: rng.int(20, 200) },
    { type: 'cut', target: 'kafka', holdMs: rng.int(2_000, 5_000) },
    { type: 'cut', target: 'postgres', holdMs: rng.int(1_000, 4_000) },
  ]);
  const lanes = [kills, pauses, infra].map((lane) => spread(rng, lane, options.startMs, options.endMs));
  // Drawn from a second stream, so the schedule above stays the one earlier runs of a seed had.
  const midBatch = new Prng(options.seed ^ 0x6d1d).pick(RELAYING_CONSUMERS);
  for (const fault of lanes[0]) fault.midWork = midWorkFor(fault.target, midBatch);
  return lanes;
}

function midWorkFor(target: string, midBatch: string): MidWorkCondition {
  if (target === 'order-service') return 'request-in-flight';
  if (target === midBatch) return 'relay-mid-batch';
  return (SERVICES as readonly string[]).includes(target) ? 'open-transaction' : 'under-load';
}

/** Start times spread over the window, evenly with seeded jitter, in lane order. */
function spread(rng: Prng, lane: Omit<Fault, 'at'>[], startMs: number, endMs: number): Fault[] {
  const slot = (endMs - startMs) / lane.length;
  return lane.map((fault, i) => ({ ...fault, at: Math.round(startMs + slot * i + rng.next() * slot * 0.5) }));
}
