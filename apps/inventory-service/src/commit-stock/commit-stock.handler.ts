import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { finishReservation, moveReservedStock } from '../stock/stock-movement';

export type CommitOutcome = 'committed' | 'not-reserved';

/**
 * PaymentProcessed → the reserved units are sold: `reserved` shrinks and `sold` grows, so that
 * for every product the stock it ever received = available + reserved + sold.
 */
@Controller()
export class CommitStockHandler {
  private readonly logger = new Logger(CommitStockHandler.name);

  @EventPattern('PaymentProcessed')
  async handle(
    @Payload() event: IncomingEvent<'PaymentProcessed'>,
    @Ctx() ctx: EventContext,
  ): Promise<CommitOutcome> {
    const { orderId } = event.payload;
    const reservationId = await finishReservation(ctx.manager, orderId, 'COMMITTED', null);
    if (!reservationId) {
      this.logger.log(`order ${orderId} has no held reservation to commit; nothing to do`);
      return 'not-reserved';
    }
    await moveReservedStock(ctx.manager, reservationId, 'sold');
    return 'committed';
  }
}
