import type { Pool, PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { onFirstCheckout } from './pool-clients';

/** What TypeORM sends to open a transaction, and to end one. */
const TRANSACTION_START = /^\s*(start transaction|begin)\s*;?\s*$/i;
const COMMIT = /^\s*(commit|end)\s*;?\s*$/i;

/** Postgres answered COMMIT with ROLLBACK: a statement pipelined before it had failed. */
export class TransactionRolledBackError extends Error {
  override readonly name = 'TransactionRolledBackError';
}

/**
 * Takes the round trips of transaction boundaries off the pool's connections, which must pipeline
 * (pg's `pipeline: true`: a query is written without waiting for the answers before it).
 *
 * - START TRANSACTION is answered at once and written in the same write as the connection's next
 *   statement: the transaction's first statement carries it. Nothing runs in between, so the
 *   transaction is the same; what it saves is a wait for Postgres' answer per transaction.
 * - COMMIT answered with ROLLBACK (Postgres does that when a statement pipelined before it failed
 *   and aborted the transaction) rejects with TransactionRolledBackError, so a transaction whose
 *   last writes were pipelined with its COMMIT (transactionWithLastWrites) never looks committed.
 */
export function pipelineTransactionBoundaries(pool: Pool): void {
  const dropStart = new WeakMap<PoolClient, () => void>();
  onFirstCheckout(pool, (client) => {
    if ((client as PipelinedClient).pipeline)
      dropStart.set(client, deferTransactionStart(client as PipelinedClient));
  });
  // A start nothing followed never reached Postgres: the next borrower must not inherit it.
  pool.on('release', (_error: Error | undefined, client: PoolClient) => dropStart.get(client)?.());
}

type PipelinedClient = PoolClient & {
  pipeline?: boolean;
  connection?: { stream?: { cork?: () => void; uncork?: () => void } };
};

type QueryFn = (...args: unknown[]) => unknown;

/** Patches the client's `query`; returns what drops a start that is still pending. */
function deferTransactionStart(client: PipelinedClient): () => void {
  const query = client.query.bind(client) as QueryFn;
  let pendingStart: string | undefined;
  client.query = ((...args: unknown[]) => {
    const [text] = args;
    // TypeORM passes `undefined` parameters; a callback would make it a query that reports itself.
    const plain = typeof text === 'string' && isNoParameters(args[1]) && args[2] === undefined;
    if (plain && pendingStart === undefined && TRANSACTION_START.test(text)) {
      pendingStart = text;
      return Promise.resolve(startResult());
    }
    const answer = pendingStart === undefined ? query(...args) : withStart(pendingStart, args);
    pendingStart = undefined;
    return plain && COMMIT.test(text) ? refuseRolledBack(answer as Promise<QueryResult>) : answer;
  }) as PoolClient['query'];
  return () => (pendingStart = undefined);

  /** The start and the statement in one write; the statement's answer, or the start's error. */
  function withStart(start: string, args: unknown[]): unknown {
    const stream = client.connection?.stream;
    stream?.cork?.();
    let started: Promise<unknown>;
    let answer: unknown;
    try {
      started = query(start) as Promise<unknown>;
      answer = query(...args);
    } finally {
      stream?.uncork?.();
    }
    if (!(answer instanceof Promise)) {
      // A callback or submittable query: if the start failed, so does the query right behind it,
      // and the query reports that itself.
      started.catch(() => undefined);
      return answer;
    }
    return Promise.all([started, answer]).then(([, result]) => result);
  }
}

const isNoParameters = (arg: unknown) => arg === undefined || (Array.isArray(arg) && arg.length === 0);

function refuseRolledBack(answer: Promise<QueryResult>): Promise<QueryResult> {
  return answer.then((result) => {
    if (result.command === 'ROLLBACK')
      throw new TransactionRolledBackError('COMMIT was answered with ROLLBACK: the transaction had failed');
    return result;
  });
}

function startResult(): QueryResult {
  return { command: 'BEGIN', rowCount: null, oid: 0, rows: [], fields: [] };
}

/** A statement to write right before COMMIT, without waiting for its answer first. */
export interface LastWrite {
  sql: string;
  params: unknown[];
}

/**
 * Runs `work` in a transaction of its own, then writes the `lastWrites` it returns and COMMIT
 * together: one round trip for all of them. If a last write fails, Postgres rolls the transaction
 * back and answers COMMIT with ROLLBACK; this rejects with the first failed write's own error, and
 * nothing committed. The last writes go to the connection directly, so they are queued before
 * COMMIT whatever TypeORM does on the way to its COMMIT.
 */
export async function transactionWithLastWrites<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<{ result: T; lastWrites?: LastWrite[] }>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const connection = (await runner.connect()) as PoolClient;
  try {
    await runner.startTransaction();
    const { result, lastWrites = [] } = await work(runner.manager);
    const written = lastWrites.map((write) => outcomeOf(connection.query(write.sql, write.params)));
    try {
      await runner.commitTransaction();
    } catch (error) {
      const outcomes = await Promise.all(written);
      throw outcomes.find((outcome) => outcome.error)?.error ?? error;
    }
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await rollBack(runner, error);
    throw error;
  } finally {
    await runner.release();
  }
}

/** Rolls back after `failure`; if that fails too, the error names both. */
async function rollBack(runner: QueryRunner, failure: unknown): Promise<void> {
  try {
    await runner.rollbackTransaction();
  } catch (rollbackError) {
    throw new Error(`rollback failed (${describe(rollbackError)}) after: ${describe(failure)}`, {
      cause: failure,
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Settles at once into the error, so that a rejection is never left unhandled while COMMIT runs. */
function outcomeOf(answer: Promise<unknown>): Promise<{ error?: unknown }> {
  return answer.then(
    () => ({}),
    (error: unknown) => ({ error }),
  );
}
