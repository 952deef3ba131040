import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BatchEventContext, EventBatchPattern, IncomingEvent } from '@orderflow/messaging';
import type { IntentChange } from '../charge-payment/intent-change';
import { IntentOutcome, PaymentCharger } from '../charge-payment/payment-charger';

export type InventoryDecision = IncomingEvent<'InventoryReserved'> | IncomingEvent<'InventoryRejected'>;

/**
 * InventoryReserved → remember the total to charge; charge now the orders whose token is known.
 * InventoryRejected → the order will never be charged: drop its intent and forget the token (the
 * row stays, DROPPED, so that an OrderCreated arriving after the rejection cannot reopen it).
 * Both share the inventory topic, so one handler takes both: a run of the topic is one call.
 */
@Controller()
export class ChargeReservedOrdersHandler {
  constructor(private readonly charger: PaymentCharger) {}

  @EventBatchPattern(['InventoryReserved', 'InventoryRejected'])
  handle(@Payload() events: InventoryDecision[], @Ctx() ctx: BatchEventContext): Promise<IntentOutcome[]> {
    return this.charger.applyRun(
      ctx,
      events.map((event) => ({
        event,
        orderId: event.payload.orderId,
        customerId: event.payload.customerId,
        change: changeOf(event),
      })),
    );
  }
}

function changeOf(event: InventoryDecision): IntentChange {
  if (event.type === 'InventoryRejected') return { kind: 'drop' };
  const { totalCents, currency } = event.payload;
  return { kind: 'record-amount', amountCents: totalCents, currency };
}
