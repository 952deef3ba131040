import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BatchEventContext, EventBatchPattern, IncomingEvent } from '@orderflow/messaging';
import { ApplyShipmentRequestEvents } from '../schedule-shipment/apply-shipment-request-events.service';
import type { RequestOutcome } from '../schedule-shipment/shipment-request-run';

export type PaymentEvent = IncomingEvent<'PaymentProcessed'> | IncomingEvent<'PaymentFailed'>;

/**
 * PaymentProcessed → the order may ship; schedule it if its address is known. PaymentFailed → it
 * never will: forget its address (the request stays, DROPPED, so a late OrderCreated cannot bring
 * the address back). Both share this handler so that a run of the payments topic is one call.
 */
@Controller()
export class RecordPaymentOutcomesHandler {
  constructor(private readonly requests: ApplyShipmentRequestEvents) {}

  @EventBatchPattern(['PaymentProcessed', 'PaymentFailed'])
  handle(@Payload() events: PaymentEvent[], @Ctx() ctx: BatchEventContext): Promise<RequestOutcome[]> {
    return this.requests.applyRun(ctx, events);
  }
}
