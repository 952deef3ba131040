import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ChargeOutcome, IntentRow, PaymentCharger } from '../charge-payment/payment-charger';

/** InventoryReserved → remember the total to charge; charge now if the token is already known. */
@Controller()
export class ChargeReservedOrderHandler {
  constructor(private readonly charger: PaymentCharger) {}

  @EventPattern('InventoryReserved')
  async handle(
    @Payload() event: IncomingEvent<'InventoryReserved'>,
    @Ctx() ctx: EventContext,
  ): Promise<ChargeOutcome> {
    const { orderId, customerId, totalCents, currency } = event.payload;
    const [intent]: IntentRow[] = await ctx.manager.query(
      `insert into payment_intents (order_id, customer_id, amount_cents, currency) values ($1, $2, $3, $4)
       on conflict (order_id) do update set amount_cents = excluded.amount_cents, currency = excluded.currency,
         updated_at = now()
       returning *`,
      [orderId, customerId, totalCents, currency],
    );
    return this.charger.chargeIfReady(ctx, intent!);
  }
}
