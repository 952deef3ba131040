import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CurrentPrincipal, parseOrderIdQuery, Principal } from '@orderflow/service-defaults';
import { NotificationEntity } from '../entities/notification.entity';

/**
 * GET /notifications?orderId= → what was sent for the order (a handful at most), oldest first, to
 * its owner or an admin. Someone else's order answers like an unknown one: an empty list.
 */
@Controller('notifications')
export class NotificationsController {
  constructor(
    @InjectRepository(NotificationEntity) private readonly notifications: Repository<NotificationEntity>,
  ) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal, @Query('orderId') rawOrderId: unknown) {
    const orderId = parseOrderIdQuery(rawOrderId);
    const rows = await this.notifications.find({
      where: principal.isAdmin ? { orderId } : { orderId, customerId: principal.customerId },
      order: { orderVersion: 'ASC' },
    });
    return {
      items: rows.map((n) => ({
        notificationId: n.id,
        orderId: n.orderId,
        customerId: n.customerId,
        kind: n.kind,
        channel: n.channel,
        recipient: n.recipient,
        subject: n.subject,
        body: n.body,
        sentAt: n.sentAt.toISOString(),
      })),
      nextCursor: null,
    };
  }
}
