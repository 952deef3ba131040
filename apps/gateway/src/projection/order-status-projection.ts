import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderSnapshot } from '@orderflow/contracts';
import { inKeyOrder } from '@orderflow/messaging';

/**
 * `applied`: newer than what was stored. `current`: the stored version itself, from an earlier
 * delivery (whose push may never have left: its instance died, or the commit's answer was lost).
 * `stale`: older than what is stored, or already passed in this run.
 */
export type ProjectionOutcome = 'applied' | 'current' | 'stale';

/** Order ids are opaque strings of 1-100 characters (contracts: OrderId). */
const ORDER_ID_MAX = 100;

/** Reads and writes `order_status_projection`; the only code that knows its SQL. */
@Injectable()
export class OrderStatusProjection {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores each order's newest snapshot of a run, in one statement, only where it is newer than the
   * stored one, so redelivered or late events never move an order backwards. Returns, per snapshot
   * in the given order, what applying them one after another would have made of it.
   */
  async applyAll(manager: EntityManager, snapshots: OrderSnapshot[]): Promise<ProjectionOutcome[]> {
    const newest = new Map<string, OrderSnapshot>();
    for (const snapshot of snapshots) {
      const held = newest.get(snapshot.orderId);
      if (!held || held.version < snapshot.version) newest.set(snapshot.orderId, snapshot);
    }
    // Two runs holding the same orders (a partition redelivered during a rebalance) must not
    // deadlock, and no inbox locks the keys up front (ADR 0055).
    const candidates = inKeyOrder([...newest.values()], (snapshot) => snapshot.orderId);
    // Every part of the statement sees the rows as they were before it: `stored` is what the
    // run's snapshots are compared against.
    const rows: Array<{ order_id: string; version: number | null }> = await manager.query(
      `with incoming as (
         select * from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::jsonb[])
           as i (order_id, customer_id, version, status, snapshot)
       ), stored as (
         select p.order_id, p.version from order_status_projection p join incoming using (order_id)
       ), upserted as (
         insert into order_status_projection (order_id, customer_id, version, status, snapshot, updated_at)
         select order_id, customer_id, version, status, snapshot, now() from incoming
         on conflict (order_id) do update
           set customer_id = excluded.customer_id, version = excluded.version, status = excluded.status,
               snapshot = excluded.snapshot, updated_at = now()
           where order_status_projection.version < excluded.version
       )
       select i.order_id, s.version from incoming i left join stored s using (order_id)`,
      [
        candidates.map((s) => s.orderId),
        candidates.map((s) => s.customerId),
        candidates.map((s) => s.version),
        candidates.map((s) => s.status),
        candidates.map((s) => JSON.stringify(s)),
      ],
    );
    const stored = new Map(rows.map((row) => [row.order_id, row.version ?? 0]));
    const passed = new Map<string, number>(); // the highest version handed out in this run
    return snapshots.map((snapshot) => {
      const id = snapshot.orderId;
      const before = stored.get(id) ?? 0;
      if (snapshot.version < before || snapshot.version <= (passed.get(id) ?? 0)) return 'stale';
      passed.set(id, snapshot.version);
      return snapshot.version === before ? 'current' : 'applied';
    });
  }

  /** The customer's order, or undefined when it is unknown or someone else's. */
  async findOwned(orderId: string, customerId: string): Promise<OrderSnapshot | undefined> {
    if (orderId.length === 0 || orderId.length > ORDER_ID_MAX) return undefined;
    const rows: { snapshot: OrderSnapshot }[] = await this.dataSource.query(
      `select snapshot from order_status_projection where order_id = $1 and customer_id = $2`,
      [orderId, customerId],
    );
    return rows[0]?.snapshot;
  }
}
