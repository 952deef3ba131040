import '@orderflow/service-defaults/telemetry';
import { startMessaging } from '@orderflow/messaging';
import { runService } from '@orderflow/service-defaults';
import { AppModule, SERVICE } from './app.module';
import { NOTIFICATION_CONFIG } from './notify-customer/notification-config';

void runService({
  identity: SERVICE,
  module: AppModule,
  config: NOTIFICATION_CONFIG,
  configure: (app) => startMessaging(app),
});
