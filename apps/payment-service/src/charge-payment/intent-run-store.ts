import type { EntityManager } from 'typeorm';
import { applyChange, blankIntent, Intent } from './intent-change';
import type { ChangedIntent, IntentEvent, PlannedCharge } from './intent-run';
import type { ChargeDecision } from './provider-decision';

/** A planned charge with the provider's answer. */
export interface DecidedCharge extends PlannedCharge {
  decision: ChargeDecision;
}

interface IntentRow {
  order_id: string;
  customer_id: string;
  status: Intent['status'];
  has_token: boolean;
  payment_token: string | null;
  /** bigint: pg returns it as text. */
  amount_cents: string | null;
  currency: string | null;
}

/**
 * Applies one change per order (its first of the run) to its intent, creating the missing ones, and
 * returns every intent as it then is, locked until commit: a concurrent run of the same order waits
 * here and then sees what this one did (e.g. CHARGED). One round trip; rows are locked in order id
 * order, so two runs sharing orders wait for each other instead of deadlocking.
 *
 * Each inserted row is the change applied to a blank intent (applyChange), so on conflict
 * `excluded` tells the change apart: status DROPPED is a drop, has_token a recorded token, and
 * otherwise it records the amount. The update then applies applyChange's rules to the existing row.
 */
export async function upsertIntents(
  manager: EntityManager,
  firstEvents: readonly IntentEvent[],
): Promise<Map<string, Intent>> {
  const rows = [...firstEvents]
    .sort(byOrderId)
    .map(({ orderId, customerId, change }) => applyChange(blankIntent(orderId, customerId), change));
  const upserted: IntentRow[] = await manager.query(
    `insert into payment_intents (order_id, customer_id, status, has_token, payment_token, amount_cents, currency)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[], $6::bigint[], $7::text[])
     on conflict (order_id) do update set
       status = case when payment_intents.status = 'OPEN' then excluded.status else payment_intents.status end,
       has_token = payment_intents.has_token or excluded.has_token,
       payment_token = case
         when excluded.status = 'DROPPED' then null
         when excluded.has_token then case when payment_intents.status = 'OPEN' then excluded.payment_token end
         else payment_intents.payment_token end,
       amount_cents = coalesce(excluded.amount_cents, payment_intents.amount_cents),
       currency = coalesce(excluded.currency, payment_intents.currency),
       updated_at = now()
     returning order_id, customer_id, status, has_token, payment_token, amount_cents, currency`,
    [
      rows.map((row) => row.orderId),
      rows.map((row) => row.customerId),
      rows.map((row) => row.status),
      rows.map((row) => row.hasToken),
      rows.map((row) => row.paymentToken),
      rows.map((row) => row.amountCents),
      rows.map((row) => row.currency),
    ],
  );
  return new Map(upserted.map((row) => [row.order_id, toIntent(row)]));
}

/**
 * Inserts the run's payments and writes the intents it changed after the upsert, in one round
 * trip; returns the ids of the payments inserted. The unique payments.order_id is the last line of
 * defence against a second charge: a charge whose order already has a payment is not inserted, and
 * the intent it would have marked CHARGED is left as the upsert wrote it.
 */
export async function recordCharges(
  manager: EntityManager,
  charges: readonly DecidedCharge[],
  changed: readonly ChangedIntent[],
): Promise<Set<string>> {
  if (charges.length === 0 && changed.length === 0) return new Set();
  const payments = charges.map(paymentRow);
  const paid: Array<{ id: string }> = await manager.query(
    `with paid as (
       insert into payments (id, order_id, customer_id, status, amount_cents, currency, decline_code)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
       on conflict (order_id) do nothing
       returning order_id, id
     ), saved as (
       update payment_intents i
          set status = s.status, has_token = s.has_token, payment_token = s.payment_token,
              amount_cents = s.amount_cents, currency = s.currency, updated_at = now()
         from unnest($8::text[], $9::text[], $10::bool[], $11::text[], $12::bigint[], $13::text[], $14::uuid[])
           as s (order_id, status, has_token, payment_token, amount_cents, currency, payment_id)
        where i.order_id = s.order_id
          and (s.payment_id is null or s.payment_id in (select id from paid))
     )
     select order_id, id from paid`,
    [
      payments.map((p) => p.id),
      payments.map((p) => p.orderId),
      payments.map((p) => p.customerId),
      payments.map((p) => p.status),
      payments.map((p) => p.amountCents),
      payments.map((p) => p.currency),
      payments.map((p) => p.declineCode),
      changed.map((c) => c.intent.orderId),
      changed.map((c) => c.intent.status),
      changed.map((c) => c.intent.hasToken),
      changed.map((c) => c.intent.paymentToken),
      changed.map((c) => c.intent.amountCents),
      changed.map((c) => c.intent.currency),
      changed.map((c) => c.paymentId),
    ],
  );
  return new Set(paid.map((row) => row.id));
}

function byOrderId(a: IntentEvent, b: IntentEvent): number {
  return a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0;
}

function paymentRow({ paymentId, intent, request, decision }: DecidedCharge) {
  return {
    id: paymentId,
    orderId: intent.orderId,
    customerId: intent.customerId,
    status: decision.approved ? 'PROCESSED' : 'FAILED',
    amountCents: request.amountCents,
    currency: request.currency,
    declineCode: decision.approved ? null : decision.declineCode,
  };
}

function toIntent(row: IntentRow): Intent {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    hasToken: row.has_token,
    paymentToken: row.payment_token,
    amountCents: row.amount_cents === null ? null : Number(row.amount_cents),
    currency: row.currency,
  };
}
