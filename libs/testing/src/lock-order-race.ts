import type { DataSource, EntityManager } from 'typeorm';
import { waitFor } from './wait-for';

type Step = (manager: EntityManager) => Promise<unknown>;

/**
 * Runs two transactions in the interleaving that deadlocks when they lock the same two rows in
 * opposite orders: A locks the first row (`aFirst`); B then writes both rows in one statement
 * (`bBoth`) and has to wait; A then locks the second row (`aSecond`) and commits. Resolves once
 * both committed. If B's statement took the second row before waiting for the first, A now waits
 * for B and Postgres aborts one of them (deadlock detected): the returned promise rejects.
 */
export async function raceForLockOrder(
  dataSource: DataSource,
  steps: { aFirst: Step; bBoth: Step; aSecond: Step },
): Promise<void> {
  const a = dataSource.createQueryRunner();
  await a.connect();
  try {
    await a.startTransaction();
    await steps.aFirst(a.manager);
    const b = dataSource.transaction((manager) => steps.bBoth(manager));
    b.catch(() => undefined); // awaited below; keeps an early rejection from going unhandled
    await waitForLockWait(dataSource, 'B waiting for a row lock');
    await steps.aSecond(a.manager);
    await a.commitTransaction();
    await b;
  } finally {
    if (a.isTransactionActive) await a.rollbackTransaction();
    await a.release();
  }
}

/** Waits until some session of the data source's database is waiting for a lock. */
export async function waitForLockWait(dataSource: DataSource, what: string): Promise<void> {
  await waitFor(what, async () => {
    const [row] = await dataSource.query(
      `select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return row.waiting > 0;
  });
}
