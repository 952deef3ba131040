import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EventPayloads } from '@orderflow/contracts';
import { BatchEventContext, EventBatchPattern, EventEnvelope } from '@orderflow/messaging';
import type { SagaEvent, SagaEventType } from '../order/order-state-machine';
import { ApplyOutcome, ApplySagaEvents } from './apply-saga-events.service';

@Controller()
export class ApplySagaEventsHandler {
  constructor(private readonly saga: ApplySagaEvents) {}

  // The saga events order-service applies to its state machine: its subscriptions.
  @EventBatchPattern([
    'InventoryReserved',
    'InventoryRejected',
    'PaymentProcessed',
    'PaymentFailed',
    'InventoryReleased',
    'ShipmentScheduled',
  ])
  async handle(@Payload() events: EventEnvelope[], @Ctx() ctx: BatchEventContext): Promise<ApplyOutcome[]> {
    const run = events.map((envelope) => ({
      orderId: (envelope.payload as { orderId: string }).orderId,
      eventId: envelope.eventId,
      event: toSagaEvent(envelope),
      trace: ctx.traceCarrier(envelope),
    }));
    const { outcomes, published, write } = await this.saga.applyRun(ctx.manager, run);
    if (write) ctx.writeAtCommit(write);
    for (const { index, change, trace } of published) {
      ctx.publish(events[index], change.type, change.payload, {
        causationId: change.causationId ?? undefined,
        trace,
      });
    }
    return outcomes;
  }
}

/** The event reduced to what the state machine needs. */
function toSagaEvent(envelope: EventEnvelope): SagaEvent {
  const type = envelope.type as SagaEventType;
  switch (type) {
    case 'InventoryReserved': {
      const { items, totalCents, currency } = envelope.payload as EventPayloads['InventoryReserved'];
      return { type, items, totalCents, currency };
    }
    case 'InventoryRejected':
      return { type, reason: (envelope.payload as EventPayloads['InventoryRejected']).reason };
    case 'PaymentFailed':
      return { type, reason: (envelope.payload as EventPayloads['PaymentFailed']).reason };
    case 'InventoryReleased':
      return { type, reason: (envelope.payload as EventPayloads['InventoryReleased']).reason };
    case 'PaymentProcessed':
    case 'ShipmentScheduled':
      return { type };
  }
}
