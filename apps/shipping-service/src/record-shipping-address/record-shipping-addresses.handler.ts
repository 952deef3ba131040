import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BatchEventContext, EventBatchPattern, IncomingEvent } from '@orderflow/messaging';
import { ApplyShipmentRequestEvents } from '../schedule-shipment/apply-shipment-request-events.service';
import type { RequestOutcome } from '../schedule-shipment/shipment-request-run';

/** OrderCreated → remember where each order of the run goes; schedule those already paid. */
@Controller()
export class RecordShippingAddressesHandler {
  constructor(private readonly requests: ApplyShipmentRequestEvents) {}

  @EventBatchPattern(['OrderCreated'])
  handle(
    @Payload() events: Array<IncomingEvent<'OrderCreated'>>,
    @Ctx() ctx: BatchEventContext,
  ): Promise<RequestOutcome[]> {
    return this.requests.applyRun(ctx, events);
  }
}
