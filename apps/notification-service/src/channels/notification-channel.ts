export interface NotificationMessage {
  to: string;
  subject: string;
  body: string;
  orderId: string;
  kind: string;
}

/** Where notifications go out (email, SMS, ...). `send` throws when the message was not accepted. */
export interface NotificationChannel {
  readonly name: string;
  send(message: NotificationMessage): Promise<void>;
}

export const NOTIFICATION_CHANNEL = Symbol('NOTIFICATION_CHANNEL');
