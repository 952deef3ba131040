import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ChargeOutcome, IntentRow, PaymentCharger } from '../charge-payment/payment-charger';

/** OrderCreated → remember the payment token; charge now if the reservation arrived first. */
@Controller()
export class RecordPaymentIntentHandler {
  constructor(private readonly charger: PaymentCharger) {}

  @EventPattern('OrderCreated')
  async handle(
    @Payload() event: IncomingEvent<'OrderCreated'>,
    @Ctx() ctx: EventContext,
  ): Promise<ChargeOutcome> {
    const { orderId, customerId, paymentToken } = event.payload;
    const [intent]: IntentRow[] = await ctx.manager.query(
      `insert into payment_intents (order_id, customer_id, has_token, payment_token) values ($1, $2, true, $3)
       on conflict (order_id) do update set has_token = true,
         payment_token = case when payment_intents.status = 'OPEN' then excluded.payment_token end,
         updated_at = now()
       returning *`,
      [orderId, customerId, paymentToken],
    );
    return this.charger.chargeIfReady(ctx, intent!);
  }
}
