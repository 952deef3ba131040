import { Client } from 'pg';

/** Unpublished outbox events per service database: the relay's backlog. */
export class OutboxBacklog {
  private constructor(private readonly clients: Map<string, Client>) {}

  static async connect(databaseUrls: Record<string, string>): Promise<OutboxBacklog> {
    const clients = new Map<string, Client>();
    for (const [app, url] of Object.entries(databaseUrls)) {
      const client = new Client({ connectionString: url });
      await client.connect();
      clients.set(app, client);
    }
    return new OutboxBacklog(clients);
  }

  async read(): Promise<Record<string, number>> {
    const backlog: Record<string, number> = {};
    for (const [app, client] of this.clients) {
      const { rows } = await client.query<{ n: string }>(
        'select coalesce(sum(event_count), 0) as n from messaging_outbox',
      );
      backlog[app] = Number(rows[0].n);
    }
    return backlog;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.end()));
  }
}
