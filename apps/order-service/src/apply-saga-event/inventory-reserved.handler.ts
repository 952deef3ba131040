import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ApplySagaEvent } from './apply-saga-event.service';

@Controller()
export class InventoryReservedHandler {
  constructor(private readonly saga: ApplySagaEvent) {}

  @EventPattern('InventoryReserved')
  async handle(
    @Payload() event: IncomingEvent<'InventoryReserved'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const { orderId, items, totalCents, currency } = event.payload;
    await this.saga.apply(ctx.manager, orderId, event.eventId, {
      type: 'InventoryReserved',
      items,
      totalCents,
      currency,
    });
  }
}
