import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BatchEventContext, EventBatchPattern, IncomingEvent } from '@orderflow/messaging';
import { OrderStatusProjection, ProjectionOutcome } from '../projection/order-status-projection';
import { AfterCommit } from './after-commit';
import { pushFromEvent } from './order-status-push';
import { StatusFanout } from './status-fanout';

/**
 * Keeps the status projection current and pushes each change once it is committed, a consumer run
 * at a time (one statement per run). Events of one order share a partition and are handled in
 * order, so pushes leave in version order; a stale one (overtaken) is not pushed.
 *
 * The projection is its own dedupe record (`dedupe: 'own-records'`, ADR 0055): its version guard
 * keeps a redelivered event from changing anything, so the consumer keeps no inbox for it.
 * Pushes are at least once: a redelivered event that is still the order's current version is
 * pushed again, since its first push may never have left (the instance died between commit and
 * push, or the commit's answer was lost and the run retried); clients drop what they have seen.
 */
@Controller()
export class OrderStatusChangedHandler {
  constructor(
    private readonly projection: OrderStatusProjection,
    private readonly afterCommit: AfterCommit,
    private readonly fanout: StatusFanout,
  ) {}

  @EventBatchPattern(['OrderStatusChanged'], { dedupe: 'own-records' })
  async handle(
    @Payload() events: Array<IncomingEvent<'OrderStatusChanged'>>,
    @Ctx() ctx: BatchEventContext,
  ): Promise<ProjectionOutcome[]> {
    const outcomes = await this.projection.applyAll(
      ctx.manager,
      events.map((event) => event.payload.order),
    );
    const pushes = events
      .filter((_, i) => outcomes[i] !== 'stale')
      .map((event) => pushFromEvent(event.payload));
    for (const push of pushes) this.afterCommit.schedule(ctx.manager, () => this.fanout.publish(push));
    return outcomes;
  }
}
