import type { EntityManager } from 'typeorm';
import type { ShippingAddress } from '@orderflow/contracts';
import { firstPerKey } from '@orderflow/messaging';
import type { ShipmentRequestStatus } from '../entities/shipment-request.entity';
import { applyEvent, ShipmentRequest, ShipmentRequestEvent } from './shipment-request';
import type { RunPlan } from './shipment-request-run';

interface RequestRow {
  order_id: string;
  customer_id: string;
  status: ShipmentRequestStatus;
  address: ShippingAddress | null;
  payment_id: string | null;
}

/**
 * Locks the request of every order of the run and returns it, in one round trip: an order without
 * one gets the request its first event of the run creates (planRun applies that event again, which
 * changes nothing), the others are returned as they are. The upsert waits for a concurrent
 * transaction holding the same request and then returns what it committed; rows are taken in
 * order-id order so that two runs sharing orders cannot deadlock.
 */
export async function claimRequests(
  manager: EntityManager,
  events: readonly ShipmentRequestEvent[],
): Promise<Map<string, ShipmentRequest>> {
  const created = firstPerKey(events, (event) => event.payload.orderId)
    .map((event) => applyEvent(undefined, event))
    .sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  const rows: RequestRow[] = await manager.query(
    `insert into shipment_requests (order_id, customer_id, status, address, payment_id)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[])
     on conflict (order_id) do update set updated_at = now()
     returning order_id, customer_id, status, address, payment_id`,
    [
      created.map((r) => r.orderId),
      created.map((r) => r.customerId),
      created.map((r) => r.status),
      created.map((r) => (r.address ? JSON.stringify(r.address) : null)),
      created.map((r) => r.paymentId),
    ],
  );
  return new Map(rows.map((row) => [row.order_id, toRequest(row)]));
}

/**
 * Writes the run's changed requests and inserts its shipments, in one round trip; returns the
 * orders whose shipment it inserted. A shipment already there (never expected: a request is marked
 * SCHEDULED in the transaction that inserts its shipment) is not replaced, and its request keeps
 * its status.
 */
export async function saveRun(manager: EntityManager, plan: RunPlan): Promise<Set<string>> {
  const { changed, shipments } = plan;
  if (changed.length === 0) return new Set();
  const rows: Array<{ order_id: string }> = await manager.query(
    `with shipped as (
       insert into shipments (id, order_id, customer_id, carrier, tracking_number, address)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
       on conflict (order_id) do nothing
       returning order_id
     ), saved as (
       update shipment_requests r
          set status = case when u.order_id = any($2::text[]) and s.order_id is null then r.status else u.status end,
              address = u.address, payment_id = u.payment_id, updated_at = now()
         from unnest($7::text[], $8::text[], $9::jsonb[], $10::text[]) as u (order_id, status, address, payment_id)
         left join shipped s using (order_id)
        where r.order_id = u.order_id
     )
     select order_id from shipped`,
    [
      shipments.map((s) => s.shipmentId),
      shipments.map((s) => s.orderId),
      shipments.map((s) => s.customerId),
      shipments.map((s) => s.carrier),
      shipments.map((s) => s.trackingNumber),
      shipments.map((s) => JSON.stringify(s.address)),
      changed.map((r) => r.orderId),
      changed.map((r) => r.status),
      changed.map((r) => (r.address ? JSON.stringify(r.address) : null)),
      changed.map((r) => r.paymentId),
    ],
  );
  return new Set(rows.map((row) => row.order_id));
}

function toRequest(row: RequestRow): ShipmentRequest {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    address: row.address,
    paymentId: row.payment_id,
  };
}
