import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { OrderStatusProjection } from '../projection/order-status-projection';
import { AfterCommit } from './after-commit';
import { pushFromEvent } from './order-status-push';
import { StatusFanout } from './status-fanout';

/**
 * Keeps the status projection current and pushes each change once it is committed. Events of one
 * order share a partition and are handled in order, so pushes leave in version order.
 */
@Controller()
export class OrderStatusChangedHandler {
  constructor(
    private readonly projection: OrderStatusProjection,
    private readonly afterCommit: AfterCommit,
    private readonly fanout: StatusFanout,
  ) {}

  @EventPattern('OrderStatusChanged')
  async handle(
    @Payload() event: IncomingEvent<'OrderStatusChanged'>,
    @Ctx() ctx: EventContext,
  ): Promise<void> {
    const outcome = await this.projection.apply(ctx.manager, event.payload.order);
    if (outcome === 'stale') return;
    const push = pushFromEvent(event.payload);
    this.afterCommit.schedule(ctx.manager, () => this.fanout.publish(push));
  }
}
