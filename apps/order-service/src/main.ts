import '@orderflow/service-defaults/telemetry';
import { startMessaging } from '@orderflow/messaging';
import { runService } from '@orderflow/service-defaults';
import { AppModule, SERVICE } from './app.module';

void runService({ identity: SERVICE, module: AppModule, configure: startMessaging });
