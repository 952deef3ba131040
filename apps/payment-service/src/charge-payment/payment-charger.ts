import { Injectable, Logger } from '@nestjs/common';
import { BatchEventContext, EventEnvelope, firstPerKey } from '@orderflow/messaging';
import { IntentEvent, PlannedCharge, planRun } from './intent-run';
import { DecidedCharge, recordCharges, upsertIntents } from './intent-run-store';
import { PaymentProvider } from './payment-provider';

/** Per event: what its change led to (`dropped` for an InventoryRejected, the others for the rest). */
export type IntentOutcome = 'processed' | 'failed' | 'waiting' | 'not-open' | 'already-charged' | 'dropped';

/** An event of the run with what it changes on its order's intent. */
export interface IntentEventOfRun extends IntentEvent {
  event: EventEnvelope;
}

/**
 * Applies a consumer run's intent changes and charges every order that becomes ready, with the
 * same effects as one event after another, in two statements whatever the run's length:
 * 1. upsert the intents, each with its order's first change (locking them until commit);
 * 2. insert the payments and write the intents changed since (charged, or later events of the run).
 * In between, the rest of the run is applied in memory (planRun) and the provider is asked about
 * every charge at once. Then PaymentProcessed or PaymentFailed is published per inserted payment,
 * in run order.
 */
@Injectable()
export class PaymentCharger {
  private readonly logger = new Logger(PaymentCharger.name);

  constructor(private readonly provider: PaymentProvider) {}

  async applyRun(ctx: BatchEventContext, run: IntentEventOfRun[]): Promise<IntentOutcome[]> {
    const upserted = await upsertIntents(
      ctx.manager,
      firstPerKey(run, (event) => event.orderId),
    );
    const plan = planRun(run, upserted);
    const decided = await Promise.all(plan.charges.map((charge) => this.decide(charge)));
    const paid = await recordCharges(ctx.manager, decided, plan.changed);
    return plan.outcomes.map((outcome, index) => {
      if (typeof outcome === 'string') return outcome;
      const charge = decided[outcome.charge];
      if (!paid.has(charge.paymentId)) return this.alreadyCharged(charge);
      return publishPayment(ctx, run[index].event, charge);
    });
  }

  private async decide(charge: PlannedCharge): Promise<DecidedCharge> {
    return { ...charge, decision: await this.provider.charge(charge.request) };
  }

  private alreadyCharged(charge: PlannedCharge): 'already-charged' {
    this.logger.warn(`order ${charge.intent.orderId} already has a payment; not charging again`);
    return 'already-charged';
  }
}

function publishPayment(
  ctx: BatchEventContext,
  cause: EventEnvelope,
  { intent, paymentId, request, decision }: DecidedCharge,
): 'processed' | 'failed' {
  const payment = {
    orderId: intent.orderId,
    customerId: intent.customerId,
    paymentId,
    amountCents: request.amountCents,
    currency: request.currency,
  };
  if (decision.approved) {
    ctx.publish(cause, 'PaymentProcessed', payment);
    return 'processed';
  }
  ctx.publish(cause, 'PaymentFailed', { ...payment, reason: decision.declineCode });
  return 'failed';
}
