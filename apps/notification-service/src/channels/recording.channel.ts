import { Logger } from '@nestjs/common';
import type { NotificationChannel, NotificationMessage } from './notification-channel';

/** The default channel: logs each message and keeps the latest ones in memory (for dev and tests). */
export class RecordingChannel implements NotificationChannel {
  readonly name = 'log';
  readonly sent: NotificationMessage[] = [];
  private readonly logger = new Logger('notifications');

  constructor(private readonly keep = 1_000) {}

  async send(message: NotificationMessage): Promise<void> {
    this.logger.log(`${message.kind} for order ${message.orderId} to ${message.to}: ${message.subject}`);
    this.sent.push(message);
    if (this.sent.length > this.keep) this.sent.shift();
  }
}
