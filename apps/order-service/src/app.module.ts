import { Module } from '@nestjs/common';
import { KafkaModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';

export const SERVICE: ServiceIdentity = {
  name: 'order-service',
  defaultPort: 3001,
  database: 'orderflow_order',
};

@Module({
  imports: [ServiceDefaultsModule, DatabaseModule.forService({ entities: [], migrations: [] }), KafkaModule],
})
export class AppModule {}
