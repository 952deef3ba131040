import { Module } from '@nestjs/common';
import { KafkaModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';

export const SERVICE: ServiceIdentity = {
  name: 'inventory-service',
  defaultPort: 3002,
  database: 'orderflow_inventory',
};

@Module({
  imports: [ServiceDefaultsModule, DatabaseModule.forService({ entities: [], migrations: [] }), KafkaModule],
})
export class AppModule {}
