import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { RequestRow, ScheduleOutcome, ShipmentScheduler } from './shipment-scheduler';

/** PaymentProcessed → the order may ship; schedule now if its address is already known. */
@Controller()
export class ScheduleShipmentHandler {
  constructor(private readonly scheduler: ShipmentScheduler) {}

  @EventPattern('PaymentProcessed')
  async handle(
    @Payload() event: IncomingEvent<'PaymentProcessed'>,
    @Ctx() ctx: EventContext,
  ): Promise<ScheduleOutcome> {
    const { orderId, customerId, paymentId } = event.payload;
    const [request]: RequestRow[] = await ctx.manager.query(
      `insert into shipment_requests (order_id, customer_id, payment_id) values ($1, $2, $3)
       on conflict (order_id) do update set payment_id = excluded.payment_id, updated_at = now()
       returning *`,
      [orderId, customerId, paymentId],
    );
    return this.scheduler.scheduleIfReady(ctx, request!);
  }
}
