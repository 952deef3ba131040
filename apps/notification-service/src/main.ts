import '@orderflow/service-defaults/telemetry';
import { runService } from '@orderflow/service-defaults';
import { AppModule, SERVICE } from './app.module';

void runService({ identity: SERVICE, module: AppModule });
