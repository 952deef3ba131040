import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { EventContext } from '@orderflow/messaging';
import { PaymentProvider } from './payment-provider';

/** A payment_intents row as returned by the upserts of the handlers. */
export interface IntentRow {
  order_id: string;
  customer_id: string;
  status: 'OPEN' | 'CHARGED' | 'DROPPED';
  has_token: boolean;
  payment_token: string | null;
  amount_cents: string | null;
  currency: string | null;
}

export type ChargeOutcome = 'processed' | 'failed' | 'waiting' | 'not-open' | 'already-charged';

/**
 * Charges an order once both halves of its intent are known. Callers pass the intent row they
 * just upserted: the upsert holds the row lock until commit, so a concurrent handler of the same
 * order waits and then sees CHARGED. The unique payments.order_id is the last line of defence.
 */
@Injectable()
export class PaymentCharger {
  private readonly logger = new Logger(PaymentCharger.name);

  constructor(private readonly provider: PaymentProvider) {}

  async chargeIfReady(ctx: EventContext, intent: IntentRow): Promise<ChargeOutcome> {
    if (intent.status !== 'OPEN') return 'not-open';
    if (!intent.has_token || intent.amount_cents === null || intent.currency === null) return 'waiting';

    const amountCents = Number(intent.amount_cents);
    const decision = await this.provider.charge({
      token: intent.payment_token ?? '',
      amountCents,
      currency: intent.currency,
    });
    const paymentId = randomUUID();
    const inserted: unknown[] = await ctx.manager.query(
      `insert into payments (id, order_id, customer_id, status, amount_cents, currency, decline_code)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict (order_id) do nothing returning id`,
      [
        paymentId,
        intent.order_id,
        intent.customer_id,
        decision.approved ? 'PROCESSED' : 'FAILED',
        amountCents,
        intent.currency,
        decision.approved ? null : decision.declineCode,
      ],
    );
    if (inserted.length === 0) {
      this.logger.warn(`order ${intent.order_id} already has a payment; not charging again`);
      return 'already-charged';
    }
    await ctx.manager.query(
      `update payment_intents set status = 'CHARGED', payment_token = null, updated_at = now() where order_id = $1`,
      [intent.order_id],
    );
    const base = {
      orderId: intent.order_id,
      customerId: intent.customer_id,
      paymentId,
      amountCents,
      currency: intent.currency,
    };
    if (decision.approved) {
      await ctx.publish('PaymentProcessed', base);
      return 'processed';
    }
    await ctx.publish('PaymentFailed', { ...base, reason: decision.declineCode });
    return 'failed';
  }
}
