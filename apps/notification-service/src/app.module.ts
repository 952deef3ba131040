import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import {
  DatabaseModule,
  SERVICE_CONFIG,
  ServiceDefaultsModule,
  ServiceIdentity,
} from '@orderflow/service-defaults';
import { NOTIFICATION_CHANNEL, NotificationChannel } from './channels/notification-channel';
import { RecordingChannel } from './channels/recording.channel';
import { SmtpChannel } from './channels/smtp.channel';
import { NOTIFICATION_ENTITIES, NotificationEntity } from './entities';
import { NotificationsController } from './list-notifications/notifications.controller';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import type { NotificationConfig } from './notify-customer/notification-config';
import { NotifyCustomerHandler } from './notify-customer/notify-customer.handler';

export const SERVICE: ServiceIdentity = {
  name: 'notification-service',
  defaultPort: 3005,
  database: 'orderflow_notification',
};

/** Every event this service reacts to: OrderStatusChanged. */
export const EVENT_HANDLERS = [NotifyCustomerHandler];

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: NOTIFICATION_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...NOTIFICATION_MIGRATIONS],
    }),
    TypeOrmModule.forFeature([NotificationEntity]),
    KafkaModule,
    MessagingModule.forService({ produces: [] }),
  ],
  controllers: [NotificationsController, ...EVENT_HANDLERS],
  providers: [
    {
      provide: NOTIFICATION_CHANNEL,
      inject: [SERVICE_CONFIG],
      useFactory: (config: NotificationConfig): NotificationChannel =>
        config.SMTP_URL
          ? new SmtpChannel(new URL(config.SMTP_URL), config.SMTP_FROM)
          : new RecordingChannel(),
    },
  ],
})
export class AppModule {}
