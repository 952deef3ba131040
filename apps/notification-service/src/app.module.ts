import { Module } from '@nestjs/common';
import { KafkaModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';

export const SERVICE: ServiceIdentity = {
  name: 'notification-service',
  defaultPort: 3005,
  database: 'orderflow_notification',
};

@Module({
  imports: [ServiceDefaultsModule, DatabaseModule.forService({ entities: [], migrations: [] }), KafkaModule],
})
export class AppModule {}
