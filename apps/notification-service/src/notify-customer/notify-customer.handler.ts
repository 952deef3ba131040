import { randomUUIDv7 } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import {
  BatchEventContext,
  EventBatchPattern,
  firstPerKey,
  IncomingEvent,
  inKeyOrder,
} from '@orderflow/messaging';
import { SERVICE_CONFIG } from '@orderflow/service-defaults';
import {
  NOTIFICATION_CHANNEL,
  NotificationChannel,
  NotificationMessage,
} from '../channels/notification-channel';
import type { NotificationConfig } from './notification-config';
import { composeNotification, NotificationKind, notificationKindFor } from './notification-kind';
import { recipientFor } from './recipient';

export type NotifyOutcome = 'sent' | 'already-sent' | 'no-notification';

type StatusChanged = IncomingEvent<'OrderStatusChanged'>;

/** A notification a run's event asks for. */
interface Wanted {
  index: number;
  message: NotificationMessage & { kind: NotificationKind; customerId: string; version: number };
}

/**
 * OrderStatusChanged → at most one notification per (order, kind). A consumer run claims its
 * records in one statement (unique (order_id, kind); a concurrent duplicate waits, then does
 * nothing). That record is the handler's dedupe (`dedupe: 'own-records'`, ADR 0055): a redelivered
 * event finds it and sends nothing, so the consumer keeps no inbox, and a status that notifies no
 * one costs no write at all. The channel is called for each claimed record inside the same
 * transaction, in run order: if sending fails, the claims roll back and the events are retried. A
 * crash after the channel accepted but before commit can send twice (at-least-once towards the
 * channel); the record itself is exactly once.
 */
@Controller()
export class NotifyCustomerHandler {
  constructor(
    @Inject(NOTIFICATION_CHANNEL) private readonly channel: NotificationChannel,
    @Inject(SERVICE_CONFIG) private readonly config: Pick<NotificationConfig, 'NOTIFICATION_EMAIL_DOMAIN'>,
  ) {}

  @EventBatchPattern(['OrderStatusChanged'], { dedupe: 'own-records' })
  async handle(@Payload() events: StatusChanged[], @Ctx() ctx: BatchEventContext): Promise<NotifyOutcome[]> {
    const outcomes: NotifyOutcome[] = events.map(() => 'no-notification');
    const wanted = events.flatMap((event, index) => this.wantedBy(event, index));
    for (const { index } of wanted) outcomes[index] = 'already-sent';
    const claimed = await this.claim(ctx.manager, firstPerKey(wanted, claimKey));
    for (const { index, message } of claimed) {
      const { to, subject, body, orderId, kind } = message;
      await this.channel.send({ to, subject, body, orderId, kind });
      outcomes[index] = 'sent';
    }
    return outcomes;
  }

  private wantedBy(event: StatusChanged, index: number): Wanted[] {
    const change = event.payload;
    const kind = notificationKindFor(change.status);
    if (!kind) return [];
    const { subject, body } = composeNotification(kind, change);
    const to = recipientFor(change.customerId, this.config.NOTIFICATION_EMAIL_DOMAIN);
    const message = {
      to,
      subject,
      body,
      orderId: change.orderId,
      kind,
      customerId: change.customerId,
      version: change.version,
    };
    return [{ index, message }];
  }

  /**
   * Inserts the records in one statement; returns those this run inserted, in run order. Rows go in
   * in key order: two runs holding the same orders (a partition redelivered during a rebalance) then
   * wait for each other's row instead of deadlocking, with no inbox to lock the keys first (ADR 0055).
   */
  private async claim(manager: EntityManager, wanted: Wanted[]): Promise<Wanted[]> {
    if (wanted.length === 0) return [];
    const ordered = inKeyOrder(wanted, claimKey);
    const idOf = new Map(ordered.map((w) => [w, randomUUIDv7()]));
    const rows: Array<{ id: string }> = await manager.query(
      `insert into notifications (id, order_id, customer_id, kind, channel, recipient, subject, body, order_version)
       select id, order_id, customer_id, kind, $5, recipient, subject, body, order_version
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $6::text[], $7::text[], $8::text[], $9::int[])
           as w (id, order_id, customer_id, kind, recipient, subject, body, order_version)
       on conflict (order_id, kind) do nothing returning id`,
      [
        ordered.map((w) => idOf.get(w)),
        ordered.map((w) => w.message.orderId),
        ordered.map((w) => w.message.customerId),
        ordered.map((w) => w.message.kind),
        this.channel.name,
        ordered.map((w) => w.message.to),
        ordered.map((w) => w.message.subject),
        ordered.map((w) => w.message.body),
        ordered.map((w) => w.message.version),
      ],
    );
    const inserted = new Set(rows.map((row) => row.id));
    return wanted.filter((w) => inserted.has(idOf.get(w)!));
  }
}

/** One notification per (order, kind): the record's unique key. */
const claimKey = ({ message }: Wanted) => `${message.orderId}\u0000${message.kind}`;
