import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { finishReservation, moveReservedStock } from '../stock/stock-movement';

export type ReleaseOutcome = 'released' | 'not-reserved';

/** PaymentFailed → give the order's reserved stock back, exactly once, and say so. */
@Controller()
export class ReleaseStockHandler {
  private readonly logger = new Logger(ReleaseStockHandler.name);

  @EventPattern('PaymentFailed')
  async handle(
    @Payload() event: IncomingEvent<'PaymentFailed'>,
    @Ctx() ctx: EventContext,
  ): Promise<ReleaseOutcome> {
    const { orderId, customerId, reason } = event.payload;
    const reservationId = await finishReservation(ctx.manager, orderId, 'RELEASED', reason);
    if (!reservationId) {
      this.logger.log(`order ${orderId} has no held reservation to release; nothing to do`);
      return 'not-reserved';
    }
    const items = await moveReservedStock(ctx.manager, reservationId, 'available');
    await ctx.publish('InventoryReleased', { orderId, customerId, reservationId, items, reason });
    return 'released';
  }
}
