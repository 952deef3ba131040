import { Injectable, Logger } from '@nestjs/common';
import type { BatchEventContext } from '@orderflow/messaging';
import type { ShipmentRequestEvent } from './shipment-request';
import { PlannedShipment, planRun, RequestOutcome } from './shipment-request-run';
import { claimRequests, saveRun } from './shipment-request-store';

/**
 * Applies a consumer run of OrderCreated, PaymentProcessed and PaymentFailed events to the orders'
 * shipment requests, and schedules the shipment of every order that has both its address and its
 * payment, in at most two statements whatever the run's length: lock and read the run's requests
 * (creating the missing ones), then write the changed requests and the new shipments (skipped when
 * the run changed nothing). The events are applied
 * in memory in between, in run order. Each ShipmentScheduled is published as caused by the event
 * that made its order ready.
 */
@Injectable()
export class ApplyShipmentRequestEvents {
  private readonly logger = new Logger(ApplyShipmentRequestEvents.name);

  async applyRun(ctx: BatchEventContext, events: readonly ShipmentRequestEvent[]): Promise<RequestOutcome[]> {
    const claimed = await claimRequests(ctx.manager, events);
    const plan = planRun(events, claimed);
    const shipped = await saveRun(ctx.manager, plan);
    const outcomes = [...plan.outcomes];
    for (const shipment of plan.shipments) {
      if (shipped.has(shipment.orderId)) publishScheduled(ctx, shipment);
      else outcomes[shipment.index] = this.alreadyScheduled(shipment);
    }
    return outcomes;
  }

  private alreadyScheduled(shipment: PlannedShipment): 'already-scheduled' {
    this.logger.warn(`order ${shipment.orderId} already has a shipment; not scheduling another`);
    return 'already-scheduled';
  }
}

function publishScheduled(ctx: BatchEventContext, shipment: PlannedShipment): void {
  ctx.publish(shipment.cause, 'ShipmentScheduled', {
    orderId: shipment.orderId,
    customerId: shipment.customerId,
    shipmentId: shipment.shipmentId,
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
  });
}
