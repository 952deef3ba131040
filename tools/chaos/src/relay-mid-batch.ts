import { OUTBOX_BATCH_ROWS } from '@orderflow/messaging';
import { waitFor } from '@orderflow/testing';
import type { ChaosStack } from './chaos-stack';
import { ActivitySample, DbActivityProbe } from './db-activity-probe';
import type { ProduceInFlight, ProducePhase } from './kafka-traffic';

/**
 * Latency added to the target's Kafka connections while a relay-mid-batch kill waits: the
 * relay's send of the batch it has read is held this long on its way to the broker, and its
 * answer as long again on the way back, so the kill lands while the batch is in flight (the
 * probe looks every few ms). Kept short: the consumer's fetches and heartbeats are slowed too,
 * and a member whose heartbeats lag past its session timeout would be evicted from its group.
 */
export const RELAY_SEND_HOLD_MS = 500;
/** The restarted relay has this long to publish the batch again (a restart may wait for Kafka). */
const REPUBLISH_TIMEOUT_MS = 120_000;

/** A relay-mid-batch kill: the batch in flight at the kill and what became of it after the restart. */
export interface RelayBatchAtKill {
  /** Latency added to the target's Kafka connections while the kill waited, ms. */
  kafkaLatencyMs: number;
  /** The batch's Produce request as the proxy held it when the SIGKILL landed. */
  produce: { records: number | undefined; phase: ProducePhase; ageMs: number };
  /** The oldest unpublished rows after the kill, up to the first that reaches the request's record count. */
  rowIds?: string[];
  /** The events those rows hold: the request's record count when they are the batch it carried. */
  events?: number;
  /** The restarted relay published those rows (at least once: consumers dedupe), or did not. */
  republished?: { afterKillMs: number } | { error: string };
}

export type MidBatchLook =
  { holds: true; sample: ActivitySample; produce: ProduceInFlight } | { holds: false; missing: string };

/**
 * The relay is in the middle of a batch: its last statement is the batch read and it has not
 * deleted anything since (connection idle: waiting for Kafka), the target's Produce request has
 * been answered by the broker (the records are in Kafka) but the answer has not reached the
 * relay, and at least as many events as the request carries are still unpublished.
 */
export function relayMidBatch(sample: ActivitySample | undefined, produces: ProduceInFlight[]): MidBatchLook {
  if (!sample) return { holds: false, missing: 'database not sampled' };
  const relay = sample.relay;
  if (!relay) return { holds: false, missing: 'relay has no connection' };
  if (relay.lastStatement !== 'batch-read' || relay.state !== 'idle')
    return { holds: false, missing: `relay ${relay.state ?? 'unknown'} after ${relay.lastStatement}` };
  const produce = produces.find((p) => p.phase === 'answered');
  if (!produce)
    return {
      holds: false,
      missing: produces.length > 0 ? `Produce ${produces[0].phase}` : 'no Produce in flight',
    };
  const records = produce.records ?? 1;
  if (sample.backlogEvents < records)
    return {
      holds: false,
      missing: `${sample.backlogEvents} unpublished events for ${records} records sent`,
    };
  return { holds: true, sample, produce };
}

/** One look at the target's relay: its database connection and its Produce requests at the proxy. */
export async function lookForMidBatch(
  stack: ChaosStack,
  probe: DbActivityProbe,
  target: string,
): Promise<MidBatchLook> {
  const sample = await probe.sample().catch(() => undefined);
  return relayMidBatch(sample, stack.kafkaTraffic.producesInFlight(target));
}

/**
 * After the kill: the batch's row ids (the relay reads the oldest unpublished rows first and is
 * gone, so they stay unpublished until the restart), then `republished`, to be awaited in the
 * background: it settles once the restarted relay has published them. (Wrapped in an object: a
 * promise returned from an async function would be awaited with it, and the restart it waits
 * for comes only after the kill returns.)
 */
export async function followBatch(
  stack: ChaosStack,
  probe: DbActivityProbe,
  target: string,
  batch: RelayBatchAtKill,
  killedAt: number,
): Promise<{ republished: Promise<void> } | undefined> {
  try {
    // The rows the relay read for that produce request: the oldest, up to the first that reaches
    // its record count: the relay's own batch query.
    const rows = await probe.query<{ id: string; event_count: number }>(
      `select id::text, event_count from (${OUTBOX_BATCH_ROWS}) as b`,
      [batch.produce.records ?? 1],
    );
    batch.rowIds = rows.map((row) => row.id);
    batch.events = rows.reduce((sum, row) => sum + row.event_count, 0);
  } catch (error) {
    batch.republished = { error: `batch rows not read: ${(error as Error).message}` };
    return undefined;
  }
  return { republished: waitRepublished(stack.databaseUrl(target), target, batch, killedAt) };
}

async function waitRepublished(url: string, target: string, batch: RelayBatchAtKill, killedAt: number) {
  await DbActivityProbe.with(url, target, async (probe) => {
    try {
      await waitFor(
        `${target}'s relay to publish the batch it was killed in`,
        async () => {
          const [row] = await probe.query<{ left: number }>(
            'select count(*)::int as left from messaging_outbox where id = any($1::bigint[])',
            [batch.rowIds],
          );
          return row.left === 0;
        },
        { timeoutMs: REPUBLISH_TIMEOUT_MS, intervalMs: 250 },
      );
      batch.republished = { afterKillMs: Date.now() - killedAt };
    } catch (error) {
      batch.republished = { error: error instanceof Error ? error.message : String(error) };
    }
  });
}
