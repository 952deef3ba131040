import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';

/**
 * InventoryRejected → the order will never be charged: drop its intent and forget the token. The
 * row stays (DROPPED) so that an OrderCreated arriving after the rejection cannot reopen it.
 */
@Controller()
export class DropPaymentIntentHandler {
  @EventPattern('InventoryRejected')
  async handle(
    @Payload() event: IncomingEvent<'InventoryRejected'>,
    @Ctx() ctx: EventContext,
  ): Promise<'dropped'> {
    const { orderId, customerId } = event.payload;
    await ctx.manager.query(
      `insert into payment_intents (order_id, customer_id, status) values ($1, $2, 'DROPPED')
       on conflict (order_id) do update set
         status = case when payment_intents.status = 'OPEN' then 'DROPPED' else payment_intents.status end,
         payment_token = null, updated_at = now()`,
      [orderId, customerId],
    );
    return 'dropped';
  }
}
