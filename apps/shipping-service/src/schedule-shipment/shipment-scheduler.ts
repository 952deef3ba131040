import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { ShippingAddress } from '@orderflow/contracts';
import type { EventContext } from '@orderflow/messaging';
import { chooseCarrier, newTrackingNumber } from './carrier';

/** A shipment_requests row as returned by the handlers' upserts. */
export interface RequestRow {
  order_id: string;
  customer_id: string;
  status: 'OPEN' | 'SCHEDULED' | 'DROPPED';
  address: ShippingAddress | null;
  payment_id: string | null;
}

export type ScheduleOutcome = 'scheduled' | 'waiting' | 'not-open' | 'already-scheduled';

/**
 * Schedules the order's shipment once it has both an address and a payment. The caller's upsert
 * holds the request row's lock until commit, so concurrent handlers of one order serialize; the
 * unique shipments.order_id backs that up.
 */
@Injectable()
export class ShipmentScheduler {
  private readonly logger = new Logger(ShipmentScheduler.name);

  async scheduleIfReady(ctx: EventContext, request: RequestRow): Promise<ScheduleOutcome> {
    if (request.status !== 'OPEN') return 'not-open';
    if (!request.address || !request.payment_id) return 'waiting';

    const carrier = chooseCarrier(request.address.country);
    const shipmentId = randomUUID();
    const trackingNumber = newTrackingNumber(carrier);
    const inserted: unknown[] = await ctx.manager.query(
      `insert into shipments (id, order_id, customer_id, carrier, tracking_number, address) values ($1, $2, $3, $4, $5, $6)
       on conflict (order_id) do nothing returning id`,
      [
        shipmentId,
        request.order_id,
        request.customer_id,
        carrier.name,
        trackingNumber,
        JSON.stringify(request.address),
      ],
    );
    if (inserted.length === 0) {
      this.logger.warn(`order ${request.order_id} already has a shipment; not scheduling another`);
      return 'already-scheduled';
    }
    await ctx.manager.query(
      `update shipment_requests set status = 'SCHEDULED', updated_at = now() where order_id = $1`,
      [request.order_id],
    );
    await ctx.publish('ShipmentScheduled', {
      orderId: request.order_id,
      customerId: request.customer_id,
      shipmentId,
      carrier: carrier.name,
      trackingNumber,
    });
    return 'scheduled';
  }
}
