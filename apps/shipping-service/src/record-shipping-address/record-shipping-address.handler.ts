import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { RequestRow, ScheduleOutcome, ShipmentScheduler } from '../schedule-shipment/shipment-scheduler';

/** OrderCreated → remember where the order goes; schedule now if it was already paid. */
@Controller()
export class RecordShippingAddressHandler {
  constructor(private readonly scheduler: ShipmentScheduler) {}

  @EventPattern('OrderCreated')
  async handle(
    @Payload() event: IncomingEvent<'OrderCreated'>,
    @Ctx() ctx: EventContext,
  ): Promise<ScheduleOutcome> {
    const { orderId, customerId, shippingAddress } = event.payload;
    const [request]: RequestRow[] = await ctx.manager.query(
      `insert into shipment_requests (order_id, customer_id, address) values ($1, $2, $3)
       on conflict (order_id) do update set
         address = case when shipment_requests.status = 'DROPPED' then null else excluded.address end,
         updated_at = now()
       returning *`,
      [orderId, customerId, JSON.stringify(shippingAddress)],
    );
    return this.scheduler.scheduleIfReady(ctx, request!);
  }
}
