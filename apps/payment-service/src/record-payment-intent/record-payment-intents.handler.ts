import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BatchEventContext, EventBatchPattern, IncomingEvent } from '@orderflow/messaging';
import { IntentOutcome, PaymentCharger } from '../charge-payment/payment-charger';

/** OrderCreated → remember the payment token; charge now the orders whose reservation arrived first. */
@Controller()
export class RecordPaymentIntentsHandler {
  constructor(private readonly charger: PaymentCharger) {}

  @EventBatchPattern(['OrderCreated'])
  handle(
    @Payload() events: Array<IncomingEvent<'OrderCreated'>>,
    @Ctx() ctx: BatchEventContext,
  ): Promise<IntentOutcome[]> {
    return this.charger.applyRun(
      ctx,
      events.map((event) => {
        const { orderId, customerId, paymentToken } = event.payload;
        return { event, orderId, customerId, change: { kind: 'record-token', paymentToken } };
      }),
    );
  }
}
