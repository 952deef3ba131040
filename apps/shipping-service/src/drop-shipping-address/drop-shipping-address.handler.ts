import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';

/**
 * PaymentFailed → the order will never ship: forget its address. The row stays (DROPPED) so a
 * late OrderCreated cannot bring the address back.
 */
@Controller()
export class DropShippingAddressHandler {
  @EventPattern('PaymentFailed')
  async handle(
    @Payload() event: IncomingEvent<'PaymentFailed'>,
    @Ctx() ctx: EventContext,
  ): Promise<'dropped'> {
    const { orderId, customerId } = event.payload;
    await ctx.manager.query(
      `insert into shipment_requests (order_id, customer_id, status) values ($1, $2, 'DROPPED')
       on conflict (order_id) do update set
         status = case when shipment_requests.status = 'OPEN' then 'DROPPED' else shipment_requests.status end,
         address = case when shipment_requests.status = 'SCHEDULED' then shipment_requests.address end,
         updated_at = now()`,
      [orderId, customerId],
    );
    return 'dropped';
  }
}
