import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { onFirstCheckout } from './pool-clients';

/** Distinct statements prepared per connection; past this, statements run unnamed (parsed each time). */
export const MAX_PREPARED_PER_CONNECTION = 200;

/**
 * Makes every parameterized query of the pool's connections a named prepared statement, so
 * Postgres parses and plans it once per connection instead of on every call. The hot paths run
 * the same few statements thousands of times a second (measured: planning alone was ~20 % of
 * Postgres' CPU under load). The name is a hash of the text, so the same text is the same
 * statement. A connection prepares at most MAX_PREPARED_PER_CONNECTION, because text built
 * with a variable number of placeholders would otherwise grow its cache without bound.
 */
export function prepareStatements(pool: Pool): void {
  onFirstCheckout(pool, usePreparedStatements);
}

function usePreparedStatements(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  // Text → statement name, so the hot path hashes each text once per connection.
  const prepared = new Map<string, string>();
  client.query = ((...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) {
      return query(...args);
    }
    let name = prepared.get(text);
    if (name === undefined) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) return query(text, values);
      name = statementName(text);
      prepared.set(text, name);
    }
    return query({ name, text, values });
  }) as PoolClient['query'];
}

function statementName(text: string): string {
  return `of_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}
