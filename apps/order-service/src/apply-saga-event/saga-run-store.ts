import type { EntityManager } from 'typeorm';
import type { TraceCarrier } from '@orderflow/messaging';
import type { LastWrite } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import type { SagaEvent } from '../order/order-state-machine';
import { HistoryEntry } from '../order/order-snapshot';

/** A parked event; `id` is undefined while it was parked by the current run and is not stored yet. */
export interface ParkedEvent {
  id: string | undefined;
  eventId: string;
  event: SagaEvent;
  /** Of the consumer span that parked it. */
  trace: TraceCarrier;
}

/** An order of the run, locked, with what the state machine needs. */
export interface LockedOrder {
  order: OrderEntity;
  history: HistoryEntry[];
  parked: ParkedEvent[];
}

/** What a run changed, written in one statement (runWrite). */
export interface RunChanges {
  /** Final state of every order that moved (each once). */
  orders: OrderEntity[];
  history: Array<HistoryEntry & { orderId: string }>;
  /** Stored parked events that were applied or found stale. */
  unparked: string[];
  parked: Array<{ orderId: string; eventId: string; event: SagaEvent; trace: TraceCarrier }>;
}

const HISTORY_AND_PARKED = `
  coalesce((select json_agg(json_build_object('status', h.status, 'version', h.version, 'reason', h.reason,
                            'at', (extract(epoch from h.at) * 1000)::float8) order by h.version)
            from order_history h where h.order_id = o.id), '[]'::json) as history,
  coalesce((select json_agg(json_build_object('id', p.id::text, 'eventId', p.event_id, 'event', p.event,
                                            'trace', p.trace) order by p.id)
            from parked_events p where p.order_id = o.id), '[]'::json) as parked`;

const ORDER_COLUMNS = `o.id, o.customer_id, o.status, o.version, o.items, o.total_cents, o.currency, o.reason,
  o.payment_token, o.shipping_address, o.created_at, o.updated_at`;

/**
 * Locks the run's orders (in id order) and reads each with its history and parked events, in one
 * round trip. The consumer already holds the advisory locks of these orders (taken with the inbox
 * records, see EventProcessor.recordInbox), as does every transaction that changes an order, so
 * the row locks are normally granted at once and the statement's snapshot is current. An order
 * whose history does not end at its version was read before a commit the lock waited for: it is
 * read again. Unknown ids are missing from the map.
 */
export async function lockOrders(
  manager: EntityManager,
  orderIds: string[],
): Promise<Map<string, LockedOrder>> {
  const rows: OrderRow[] = await manager.query(
    `select ${ORDER_COLUMNS}, ${HISTORY_AND_PARKED}
       from orders o where o.id = any($1::uuid[]) order by o.id for update of o`,
    [orderIds],
  );
  const stale = rows.filter((row) => row.history.at(-1)?.version !== row.version).map((row) => row.id);
  const reread = stale.length > 0 ? await readOrders(manager, stale) : [];
  const locked = new Map<string, LockedOrder>();
  for (const row of [...rows, ...reread]) locked.set(row.id, toLockedOrder(row));
  return locked;
}

function readOrders(manager: EntityManager, orderIds: string[]): Promise<OrderRow[]> {
  return manager.query(
    `select ${ORDER_COLUMNS}, ${HISTORY_AND_PARKED} from orders o where o.id = any($1::uuid[])`,
    [orderIds],
  );
}

/**
 * The statement that writes the run's order rows, history rows and parked events, for the consumer
 * to send with its COMMIT (`writeAtCommit`); undefined when the run changed nothing.
 */
export function runWrite(changes: RunChanges): LastWrite | undefined {
  const { orders, history, unparked, parked } = changes;
  if (orders.length + unparked.length + parked.length === 0) return undefined;
  return {
    sql: `with moved as (
       update orders o
          set status = u.status, version = u.version, items = u.items, total_cents = u.total_cents,
              currency = u.currency, reason = u.reason, updated_at = u.updated_at
         from unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::bigint[], $6::text[], $7::text[],
                     $8::timestamptz[]) as u (id, status, version, items, total_cents, currency, reason, updated_at)
        where o.id = u.id
     ), history as (
       insert into order_history (order_id, version, status, reason, at)
       select * from unnest($9::uuid[], $10::int[], $11::text[], $12::text[], $13::timestamptz[])
     ), unparked as (
       delete from parked_events where id = any($14::bigint[])
     )
     insert into parked_events (order_id, event_id, event_type, event, trace)
     select * from unnest($15::uuid[], $16::uuid[], $17::text[], $18::jsonb[], $19::jsonb[])
     on conflict (event_id) do nothing`,
    params: [
      orders.map((o) => o.id),
      orders.map((o) => o.status),
      orders.map((o) => o.version),
      orders.map((o) => JSON.stringify(o.items)),
      orders.map((o) => o.totalCents),
      orders.map((o) => o.currency),
      orders.map((o) => o.reason),
      orders.map((o) => o.updatedAt),
      history.map((h) => h.orderId),
      history.map((h) => h.version),
      history.map((h) => h.status),
      history.map((h) => h.reason),
      history.map((h) => h.at),
      unparked,
      parked.map((p) => p.orderId),
      parked.map((p) => p.eventId),
      parked.map((p) => p.event.type),
      parked.map((p) => JSON.stringify(p.event)),
      parked.map((p) => JSON.stringify(p.trace)),
    ],
  };
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderEntity['status'];
  version: number;
  items: OrderEntity['items'];
  total_cents: string | null;
  currency: string | null;
  reason: string | null;
  payment_token: string;
  shipping_address: OrderEntity['shippingAddress'];
  created_at: Date;
  updated_at: Date;
  history: Array<Omit<HistoryEntry, 'at'> & { at: number }>;
  parked: Array<{ id: string; eventId: string; event: SagaEvent; trace: TraceCarrier }>;
}

function toLockedOrder(row: OrderRow): LockedOrder {
  const order = Object.assign(new OrderEntity(), {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    version: row.version,
    items: row.items,
    totalCents: row.total_cents === null ? null : Number(row.total_cents),
    currency: row.currency,
    reason: row.reason,
    paymentToken: row.payment_token,
    shippingAddress: row.shipping_address,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  return {
    order,
    history: row.history.map((h) => ({ ...h, at: new Date(Math.round(h.at)) })),
    parked: row.parked,
  };
}
