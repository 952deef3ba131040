import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventContext, IncomingEvent } from '@orderflow/messaging';
import { SERVICE_CONFIG } from '@orderflow/service-defaults';
import { NOTIFICATION_CHANNEL, NotificationChannel } from '../channels/notification-channel';
import type { NotificationConfig } from './notification-config';
import { composeNotification, notificationKindFor } from './notification-kind';
import { recipientFor } from './recipient';

export type NotifyOutcome = 'sent' | 'already-sent' | 'no-notification';

/**
 * OrderStatusChanged → at most one notification per (order, kind). The record is claimed first
 * (unique (order_id, kind); a concurrent duplicate waits, then does nothing) and the channel is
 * called inside the same transaction: if sending fails, the claim rolls back and the event is
 * retried. A crash after the channel accepted but before commit can send twice (at-least-once
 * towards the channel); the record itself is exactly once.
 */
@Controller()
export class NotifyCustomerHandler {
  constructor(
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(SERVICE_CONFIG) private readonly config: Pick<NotificationConfig, 'NOTIFICATION_EMAIL_DOMAIN'>,
  ) {}

  @EventPattern('OrderStatusChanged')
  async handle(
    @Payload() event: IncomingEvent<'OrderStatusChanged'>,
    @Ctx() ctx: EventContext,
  ): Promise<NotifyOutcome> {
    const change = event.payload;
    const kind = notificationKindFor(change.status);
    if (!kind) return 'no-notification';
    const { subject, body } = composeNotification(kind, change);
    const to = recipientFor(change.customerId, this.config.NOTIFICATION_EMAIL_DOMAIN);
    const claimed: unknown[] = await ctx.manager.query(
      `insert into notifications (id, order_id, customer_id, kind, channel, recipient, subject, body, order_version)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (order_id, kind) do nothing returning id`,
      [
        randomUUID(),
        change.orderId,
        change.customerId,
        kind,
        this.channel.name,
        to,
        subject,
        body,
        change.version,
      ],
    );
    if (claimed.length === 0) return 'already-sent';
    await this.channel.send({ to, subject, body, orderId: change.orderId, kind });
    return 'sent';
  }
}
