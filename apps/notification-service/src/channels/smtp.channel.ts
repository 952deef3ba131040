import type { NotificationChannel, NotificationMessage } from './notification-channel';
import { sendMail } from './smtp-client';

/** Email through an SMTP relay (SMTP_URL). */
export class SmtpChannel implements NotificationChannel {
  readonly name = 'email';

  constructor(
    private readonly url: URL,
    private readonly from: string,
  ) {}

  async send(message: NotificationMessage): Promise<void> {
    await sendMail(this.url, {
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.body,
    });
  }
}
