import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { ApplySagaEvent } from './apply-saga-event.service';

@Controller()
export class PaymentProcessedHandler {
  constructor(private readonly saga: ApplySagaEvent) {}

  @EventPattern('PaymentProcessed')
  async handle(@Payload() event: IncomingEvent<'PaymentProcessed'>, @Ctx() ctx: EventContext): Promise<void> {
    const { orderId } = event.payload;
    await this.saga.apply(ctx.manager, orderId, event.eventId, { type: 'PaymentProcessed' });
  }
}
