import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { OrderSnapshot } from '@orderflow/contracts';

export type ProjectionOutcome = 'applied' | 'stale';

/** Order ids are opaque strings of 1-100 characters (contracts: OrderId). */
const ORDER_ID_MAX = 100;

/** Reads and writes `order_status_projection`; the only code that knows its SQL. */
@Injectable()
export class OrderStatusProjection {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the snapshot only if it is newer than the stored one, so redelivered or late events
   * never move an order backwards.
   */
  async apply(manager: EntityManager, snapshot: OrderSnapshot): Promise<ProjectionOutcome> {
    const rows: unknown[] = await manager.query(
      `insert into order_status_projection (order_id, customer_id, version, status, snapshot, updated_at)
       values ($1, $2, $3, $4, $5, now())
       on conflict (order_id) do update
         set customer_id = excluded.customer_id, version = excluded.version, status = excluded.status,
             snapshot = excluded.snapshot, updated_at = now()
         where order_status_projection.version < excluded.version
       returning order_id`,
      [snapshot.orderId, snapshot.customerId, snapshot.version, snapshot.status, JSON.stringify(snapshot)],
    );
    return rows.length > 0 ? 'applied' : 'stale';
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
