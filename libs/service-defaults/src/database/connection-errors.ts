import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { onFirstCheckout } from './pool-clients';

/**
 * Gives every connection of the pool an 'error' listener for the rest of its life. pg-pool listens
 * only on idle connections, and TypeORM only on those its query runners hold. A connection that the
 * server ended at any other moment (an outage, `pg_terminate_backend`) emitted an 'error' that
 * nobody heard, and Node ended the process: in the chaos run's Postgres outage the gateway exited.
 * With the listener the connection is only lost: it answers no more queries, and the pool drops it
 * when it is released.
 */
export function survivePoolConnectionErrors(pool: Pool, logger = new Logger('database')): void {
  onFirstCheckout(pool, (client) =>
    client.on('error', (error: Error) => logger.warn(`database connection lost: ${error.message}`)),
  );
}
