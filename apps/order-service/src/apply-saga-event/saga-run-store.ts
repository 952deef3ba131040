import type { EntityManager } from 'typeorm';
import type { TraceCarrier } from '@orderflow/messaging';
import type { LastWrite } from '@orderflow/service-defaults';
import { OrderEntity } from '../order/order.entity';
import type { SagaEvent } from '../order/order-state-machine';

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
  parked: ParkedEvent[];
}

/** What a run changed, written in one statement (runWrite). */
export interface RunChanges {
  /** Final state of every order that moved (each once), history included. */
  orders: OrderEntity[];
  /** Stored parked events that were applied or found stale. */
  unparked: string[];
  parked: Array<{ orderId: string; eventId: string; event: SagaEvent; trace: TraceCarrier }>;
}

const PARKED = `
  coalesce((select json_agg(json_build_object('id', p.id::text, 'eventId', p.event_id, 'event', p.event,
                                            'trace', p.trace) order by p.id)
            from parked_events p where p.order_id = o.id), '[]'::json) as parked`;

const ORDER_COLUMNS = `o.id, o.customer_id, o.status, o.version, o.items, o.total_cents, o.currency, o.reason,
  o.payment_token, o.shipping_address, o.created_at, o.updated_at, o.history`;

/**
 * Locks the run's orders (in id order) and reads each with its parked events, in one round trip.
 * The consumer already holds the advisory locks of these orders (taken with the inbox records, see
 * EventProcessor.recordInbox), as does every transaction that changes an order, so the row locks
 * are normally granted at once and the statement's snapshot is current. A row lock that waited for
 * another commit returns the order as that commit left it, but the parked events as the snapshot
 * saw them: such an order (its version in the snapshot differs from the locked one) is read again.
 * Unknown ids are missing from the map.
 */
export async function lockOrders(
  manager: EntityManager,
  orderIds: string[],
): Promise<Map<string, LockedOrder>> {
  const rows: Array<OrderRow & { snapshot_version: number }> = await manager.query(
    `select ${ORDER_COLUMNS}, ${PARKED}, (select s.version from orders s where s.id = o.id) as snapshot_version
       from orders o where o.id = any($1::uuid[]) order by o.id for update of o`,
    [orderIds],
  );
  const stale = rows.filter((row) => row.snapshot_version !== row.version).map((row) => row.id);
  const reread = stale.length > 0 ? await readOrders(manager, stale) : [];
  const locked = new Map<string, LockedOrder>();
  for (const row of [...rows, ...reread]) locked.set(row.id, toLockedOrder(row));
  return locked;
}

function readOrders(manager: EntityManager, orderIds: string[]): Promise<OrderRow[]> {
  return manager.query(`select ${ORDER_COLUMNS}, ${PARKED} from orders o where o.id = any($1::uuid[])`, [
    orderIds,
  ]);
}

/**
 * The statement that writes the run's order rows and parked events, for the consumer
 * to send with its COMMIT (`writeAtCommit`); undefined when the run changed nothing.
 */
export function runWrite(changes: RunChanges): LastWrite | undefined {
  const { orders, unparked, parked } = changes;
  if (orders.length + unparked.length + parked.length === 0) return undefined;
  return {
    sql: `with moved as (
       update orders o
          set status = u.status, version = u.version, items = u.items, total_cents = u.total_cents,
              currency = u.currency, reason = u.reason, updated_at = u.updated_at, history = u.history
         from unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::bigint[], $6::text[], $7::text[],
                     $8::timestamptz[], $9::jsonb[])
              as u (id, status, version, items, total_cents, currency, reason, updated_at, history)
        where o.id = u.id
     ), unparked as (
       delete from parked_events where id = any($10::bigint[])
     )
     insert into parked_events (order_id, event_id, event_type, event, trace)
     select * from unnest($11::uuid[], $12::uuid[], $13::text[], $14::jsonb[], $15::jsonb[])
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
      orders.map((o) => JSON.stringify(o.history)),
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
  history: OrderEntity['history'];
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
    history: row.history,
  });
  return { order, parked: row.parked };
}
