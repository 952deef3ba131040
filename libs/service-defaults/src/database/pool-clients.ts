import type { Pool, PoolClient } from 'pg';

/**
 * Runs `setUp` once for each connection of the pool, at its first check-out. On check-out rather
 * than on connect: the pool already holds the connections TypeORM opened while initializing.
 */
export function onFirstCheckout(pool: Pool, setUp: (client: PoolClient) => void): void {
  const seen = new WeakSet<PoolClient>();
  pool.on('acquire', (client) => {
    if (seen.has(client)) return;
    seen.add(client);
    setUp(client);
  });
}
