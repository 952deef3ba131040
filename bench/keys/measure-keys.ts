import { randomUUID, randomUUIDv7 } from 'node:crypto';
import type { Client } from 'pg';
import { now, round } from '../saga/stats';

/** How ids are minted: Node's v4 (random) or v7 (time-ordered) UUIDs. */
export const KEY_KINDS = { random: randomUUID, 'time-ordered': randomUUIDv7 } as const;
export type KeyKind = keyof typeof KEY_KINDS;

export interface KeyKindResult {
  kind: KeyKind;
  rowsBefore: number;
  inserted: number;
  seconds: number;
  rowsPerSecond: number;
  walBytes: number;
  walBytesPerRow: number;
  /** Full-page images written during the inserts (server-wide `pg_stat_wal.wal_fpi`). */
  fullPageImages: number;
  fullPageImagesPer1000Rows: number;
  primaryKeyMb: number;
  rowsAfter: number;
}

const CHUNK = 10_000;

const tableOf = (kind: KeyKind) => `inbox_${kind.replace('-', '_')}`;

/** A table shaped like `messaging_inbox`: every consumer's dedupe record, keyed by event id. */
export async function createInboxTable(client: Client, kind: KeyKind): Promise<void> {
  const table = tableOf(kind);
  await client.query(`create table ${table} (
    consumer_group text not null, event_id uuid not null, event_type text not null,
    processed_at timestamptz not null default now(), primary key (consumer_group, event_id))`);
  await client.query(`create index ${table}_processed_at on ${table} (processed_at)`);
}

export async function fill(client: Client, kind: KeyKind, rows: number): Promise<void> {
  for (let done = 0; done < rows; done += CHUNK) await insert(client, kind, Math.min(CHUNK, rows - done));
}

/**
 * After a checkpoint, inserts `inserts` rows `batch` at a time, each statement its own transaction,
 * and reads the WAL it wrote. The first change of a page after a checkpoint logs the whole page.
 */
export async function measureInserts(
  client: Client,
  kind: KeyKind,
  options: { rowsBefore: number; inserts: number; batch: number },
): Promise<KeyKindResult> {
  const table = tableOf(kind);
  await client.query('checkpoint');
  const before = await walPosition(client);
  const started = now();
  for (let done = 0; done < options.inserts; done += options.batch)
    await insert(client, kind, Math.min(options.batch, options.inserts - done));
  const seconds = (now() - started) / 1000;
  const after = await walPosition(client);
  const { rows } = await client.query<{ count: number; pk_bytes: string }>(
    `select count(*)::int as count, pg_relation_size('${table}_pkey')::text as pk_bytes from ${table}`,
  );
  const walBytes = after.bytes - before.bytes;
  const fullPageImages = after.fullPageImages - before.fullPageImages;
  return {
    kind,
    rowsBefore: options.rowsBefore,
    inserted: options.inserts,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(options.inserts / seconds),
    walBytes,
    walBytesPerRow: Math.round(walBytes / options.inserts),
    fullPageImages,
    fullPageImagesPer1000Rows: round((fullPageImages / options.inserts) * 1000, 1),
    primaryKeyMb: round(Number(rows[0].pk_bytes) / 1024 ** 2, 1),
    rowsAfter: rows[0].count,
  };
}

async function insert(client: Client, kind: KeyKind, count: number): Promise<void> {
  const ids = Array.from({ length: count }, () => KEY_KINDS[kind]());
  await client.query(
    `insert into ${tableOf(kind)} (consumer_group, event_id, event_type)
     select 'bench.order-service', id, 'PaymentProcessed' from unnest($1::uuid[]) as id`,
    [ids],
  );
}

async function walPosition(client: Client): Promise<{ bytes: number; fullPageImages: number }> {
  // This session's WAL counters reach pg_stat_wal when it next goes idle; make that now.
  await client.query('select pg_stat_force_next_flush()');
  const { rows } = await client.query<{ bytes: string; fpi: string }>(
    `select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as bytes, wal_fpi::text as fpi from pg_stat_wal`,
  );
  return { bytes: Number(rows[0].bytes), fullPageImages: Number(rows[0].fpi) };
}
