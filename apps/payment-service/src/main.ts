import '@orderflow/service-defaults/telemetry';
import { startMessaging } from '@orderflow/messaging';
import { runService } from '@orderflow/service-defaults';
import { AppModule, PAYMENT_CONFIG, SERVICE } from './app.module';

void runService({
  identity: SERVICE,
  module: AppModule,
  config: PAYMENT_CONFIG,
  configure: (app) => startMessaging(app),
});
