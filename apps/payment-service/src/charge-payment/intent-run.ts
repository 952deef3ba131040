import { randomUUIDv7 } from 'node:crypto';
import {
  applyChange,
  ChargeRequest,
  chargeRequestOf,
  Intent,
  IntentChange,
  markCharged,
} from './intent-change';

/** One event of a consumer run, reduced to its order and what it changes on the order's intent. */
export interface IntentEvent {
  orderId: string;
  customerId: string;
  change: IntentChange;
}

/** A charge the run makes: its event left `intent` OPEN with both halves. */
export interface PlannedCharge {
  paymentId: string;
  intent: Intent;
  request: ChargeRequest;
}

/** The final state of an intent the run changed after its upsert; `paymentId` if the run charged it. */
export interface ChangedIntent {
  intent: Intent;
  paymentId: string | null;
}

/** Per event: its outcome, or the position in `RunPlan.charges` of the charge it triggered. */
export type PlannedOutcome = 'not-open' | 'waiting' | 'dropped' | { charge: number };

export interface RunPlan {
  outcomes: PlannedOutcome[];
  charges: PlannedCharge[];
  changed: ChangedIntent[];
}

interface OrderOfRun {
  intent: Intent;
  /** Until the order's first event is visited: the upsert already applied that event's change. */
  firstEventUpserted: boolean;
  changed: boolean;
  paymentId: string | null;
}

/**
 * Applies the run in order, in memory, as one event after another would: `upserted` holds each
 * order's intent after its first change; every later change is applied here, and an event that
 * leaves its intent ready plans a charge and marks the intent CHARGED, so a later event of the same
 * order sees it charged. The payments insert confirms each planned charge (recordCharges).
 */
export function planRun(run: readonly IntentEvent[], upserted: ReadonlyMap<string, Intent>): RunPlan {
  const orders = new Map<string, OrderOfRun>();
  for (const [orderId, intent] of upserted) {
    orders.set(orderId, { intent, firstEventUpserted: true, changed: false, paymentId: null });
  }
  const charges: PlannedCharge[] = [];
  const outcomes = run.map(({ orderId, change }): PlannedOutcome => {
    const order = orders.get(orderId);
    if (!order) throw new Error(`no intent was upserted for order ${orderId}`);
    if (order.firstEventUpserted) order.firstEventUpserted = false;
    else {
      order.intent = applyChange(order.intent, change);
      order.changed = true;
    }
    if (change.kind === 'drop') return 'dropped';
    const request = chargeRequestOf(order.intent);
    if (typeof request === 'string') return request;
    order.paymentId = randomUUIDv7();
    charges.push({ paymentId: order.paymentId, intent: order.intent, request });
    order.intent = markCharged(order.intent);
    order.changed = true;
    return { charge: charges.length - 1 };
  });
  const changed = [...orders.values()]
    .filter((order) => order.changed)
    .map(({ intent, paymentId }) => ({ intent, paymentId }));
  return { outcomes, charges, changed };
}
