import { Client } from 'pg';

/** A transaction open on one of the service's own connections (its TypeORM pool). */
export interface OpenTransaction {
  pid: number;
  state: string;
  xactAgeMs: number;
  /** The transaction has written something (it has an xid). */
  wrote: boolean;
  query: string;
}

/** What a service's database shows of the service at one moment. */
export interface ActivitySample {
  /** Unpublished outbox events. */
  backlogEvents: number;
  openTransactions: OpenTransaction[];
  /**
   * The relay's own connection (application_name `outbox-relay`), if it has one: its state and
   * what its last statement was (relay-mid-batch.ts judges whether it is inside a batch).
   */
  relay: { state: string | null; lastStatement: 'batch-read' | 'delete-published' | 'other' } | null;
}

interface Backend {
  pid: number;
  app: string;
  state: string | null;
  xactAgeMs: number | null;
  wrote: boolean;
  query: string | null;
}

const SAMPLE_SQL = `
  select (select coalesce(sum(event_count), 0)::int from messaging_outbox) as backlog,
         coalesce(json_agg(json_build_object(
           'pid', pid, 'app', application_name, 'state', state,
           'xactAgeMs', round(extract(epoch from clock_timestamp() - xact_start) * 1000),
           'wrote', backend_xid is not null, 'query', left(query, 100))), '[]'::json) as backends
    from pg_stat_activity
   where datname = current_database() and pid <> pg_backend_pid()`;

const OPEN_STATES = ['active', 'idle in transaction', 'idle in transaction (aborted)'];
const HEALTH_CHECK = /^\s*select 1\s*;?\s*$/i;

/**
 * Looks at one service's database from a connection of its own (direct, not through the run's
 * proxy): outbox backlog, the service's open transactions, the relay's connection. A query that
 * fails (a Postgres outage terminated the connection) throws; the next one reconnects.
 */
export class DbActivityProbe {
  private client: Client | undefined;

  constructor(
    private readonly url: string,
    readonly app: string,
  ) {}

  /** Runs `work` with a probe of `app`'s database, closing it whatever happens. */
  static async with<T>(url: string, app: string, work: (probe: DbActivityProbe) => Promise<T>): Promise<T> {
    const probe = new DbActivityProbe(url, app);
    try {
      return await work(probe);
    } finally {
      await probe.close();
    }
  }

  async sample(): Promise<ActivitySample> {
    const [row] = await this.query<{ backlog: number; backends: Backend[] }>(SAMPLE_SQL, []);
    return classify(this.app, row.backlog, row.backends);
  }

  /**
   * Follows backends whose client was just killed until they are gone: `rolledBack` are those that
   * left while still inside their transaction (never seen outside it), `committed` those seen
   * outside it first (their COMMIT was already on its way), `lingering` those still there.
   */
  async fateOf(
    pids: number[],
    timeoutMs: number,
  ): Promise<{ rolledBack: number[]; committed: number[]; lingering: number[] }> {
    const committed = new Set<number>();
    let present = [...pids];
    const until = Date.now() + timeoutMs;
    while (present.length > 0 && Date.now() < until) {
      const rows = await this.query<{ pid: number; open: boolean }>(
        'select pid, xact_start is not null as open from pg_stat_activity where pid = any($1::int[])',
        [present],
      );
      for (const row of rows) if (!row.open) committed.add(row.pid);
      present = rows.map((row) => row.pid);
      if (present.length > 0) await sleep(2);
    }
    const gone = pids.filter((pid) => !present.includes(pid));
    return {
      rolledBack: gone.filter((pid) => !committed.has(pid)),
      committed: pids.filter((pid) => committed.has(pid)),
      lingering: present.filter((pid) => !committed.has(pid)),
    };
  }

  /** One query; a failure (e.g. an outage terminated the connection) drops the connection, so the next one reconnects. */
  async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    const client = await this.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined); // already terminated: nothing left to close
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.url,
      application_name: 'chaos-probe',
      connectionTimeoutMillis: 2_000,
      query_timeout: 2_000,
    });
    client.on('error', () => undefined); // surfaces as the next query's failure
    await client.connect();
    this.client = client;
    return client;
  }
}

export function classify(app: string, backlogEvents: number, backends: Backend[]): ActivitySample {
  const openTransactions = backends
    .filter(
      (b) =>
        b.app === app &&
        b.xactAgeMs !== null &&
        b.state !== null &&
        OPEN_STATES.includes(b.state) &&
        !HEALTH_CHECK.test(b.query ?? ''),
    )
    .map((b) => ({
      pid: b.pid,
      state: b.state!,
      xactAgeMs: b.xactAgeMs!,
      wrote: b.wrote,
      query: b.query ?? '',
    }));
  const relayBackend = backends.find((b) => b.app === 'outbox-relay');
  const relay = relayBackend
    ? { state: relayBackend.state, lastStatement: relayStatement(relayBackend.query) }
    : null;
  return { backlogEvents, openTransactions, relay };
}

function relayStatement(query: string | null): 'batch-read' | 'delete-published' | 'other' {
  const text = (query ?? '').trim().toLowerCase();
  if (text.startsWith('select b.id, e.topic')) return 'batch-read';
  if (text.startsWith('delete from messaging_outbox where id')) return 'delete-published';
  return 'other';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
