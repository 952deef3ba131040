import { Client } from 'pg';
import { percentiles, Percentiles } from './stats';

/** Hops of the saga as order-service recorded them (order history `at`), between consecutive statuses. */
export type HopLatency = Record<string, Percentiles>;

/**
 * Per-hop latency of the given orders from their status history: PENDING → INVENTORY_RESERVED is
 * order-service → inventory-service → order-service, and so on. `history[].at` is what
 * `GET /orders/{id}` shows; it is read in one query instead of one request per order.
 */
export async function hopLatency(orderDb: Client, orderIds: string[]): Promise<HopLatency> {
  const { rows } = await orderDb.query<{ order_id: string; status: string; at: Date; version: number }>(
    `select o.id as order_id, h.status, h.at::timestamptz as at, h.version
       from orders o, jsonb_to_recordset(o.history) as h (status text, at text, version int)
      where o.id = any($1::uuid[])
      order by o.id, h.version`,
    [orderIds],
  );
  const hops = new Map<string, number[]>();
  for (let i = 1; i < rows.length; i += 1) {
    const [previous, current] = [rows[i - 1], rows[i]];
    if (previous.order_id !== current.order_id) continue;
    const name = `${previous.status}→${current.status}`;
    const list = hops.get(name) ?? [];
    list.push(current.at.getTime() - previous.at.getTime());
    hops.set(name, list);
  }
  return Object.fromEntries([...hops].map(([name, values]) => [name, percentiles(values)]));
}
