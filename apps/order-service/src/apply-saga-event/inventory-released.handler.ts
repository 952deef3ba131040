import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ApplySagaEvent } from './apply-saga-event.service';

@Controller()
export class InventoryReleasedHandler {
  constructor(private readonly saga: ApplySagaEvent) {}

  @EventPattern('InventoryReleased')
  async handle(
    @Payload() event: IncomingEvent<'InventoryReleased'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { orderId, reason } = event.payload;
    await this.saga.apply(ctx.manager, orderId, event.eventId, { type: 'InventoryReleased', reason });
  }
}
