import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ApplySagaEvent } from './apply-saga-event.service';

@Controller()
export class ShipmentScheduledHandler {
  constructor(private readonly saga: ApplySagaEvent) {}

  @EventPattern('ShipmentScheduled')
  async handle(
    @Payload() event: IncomingEvent<'ShipmentScheduled'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { orderId } = event.payload;
    await this.saga.apply(ctx.manager, orderId, event.eventId, { type: 'ShipmentScheduled' });
  }
}
