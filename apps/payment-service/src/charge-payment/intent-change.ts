import type { PaymentIntentStatus } from '../entities/payment-intent.entity';

/** What payment-service knows about an order's payment: a payment_intents row. */
export interface Intent {
  orderId: string;
  customerId: string;
  status: PaymentIntentStatus;
  hasToken: boolean;
  /** Kept only while the intent is OPEN: erased once charged or dropped. */
  paymentToken: string | null;
  amountCents: number | null;
  currency: string | null;
}

/** What one event changes on its order's intent. */
export type IntentChange =
  /** OrderCreated: the token to charge. */
  | { kind: 'record-token'; paymentToken: string }
  /** InventoryReserved: the total to charge. */
  | { kind: 'record-amount'; amountCents: number; currency: string }
  /** InventoryRejected: the order will never be charged. */
  | { kind: 'drop' };

/** An order's intent before any event: an order without a row behaves exactly like this. */
export function blankIntent(orderId: string, customerId: string): Intent {
  return {
    orderId,
    customerId,
    status: 'OPEN',
    hasToken: false,
    paymentToken: null,
    amountCents: null,
    currency: null,
  };
}

/**
 * The intent after `change`. A token arriving once the intent is no longer OPEN is not kept; a
 * dropped intent stays DROPPED (not deleted) so that a late OrderCreated cannot reopen it.
 * upsertIntents applies the same rules in SQL to the first change of each order in a run.
 */
export function applyChange(intent: Intent, change: IntentChange): Intent {
  switch (change.kind) {
    case 'record-token':
      return {
        ...intent,
        hasToken: true,
        paymentToken: intent.status === 'OPEN' ? change.paymentToken : null,
      };
    case 'record-amount':
      return { ...intent, amountCents: change.amountCents, currency: change.currency };
    case 'drop':
      return { ...intent, status: intent.status === 'OPEN' ? 'DROPPED' : intent.status, paymentToken: null };
  }
}

/** What to ask the provider for, once the intent is OPEN and knows both halves. */
export interface ChargeRequest {
  token: string;
  amountCents: number;
  currency: string;
}

export function chargeRequestOf(intent: Intent): ChargeRequest | 'not-open' | 'waiting' {
  if (intent.status !== 'OPEN') return 'not-open';
  if (!intent.hasToken || intent.amountCents === null || intent.currency === null) return 'waiting';
  return { token: intent.paymentToken ?? '', amountCents: intent.amountCents, currency: intent.currency };
}

export function markCharged(intent: Intent): Intent {
  return { ...intent, status: 'CHARGED', paymentToken: null };
}
