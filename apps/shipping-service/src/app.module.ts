import { Module } from '@nestjs/common';
import { KafkaModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';

export const SERVICE: ServiceIdentity = {
  name: 'shipping-service',
  defaultPort: 3004,
  database: 'orderflow_shipping',
};

@Module({
  imports: [ServiceDefaultsModule, DatabaseModule.forService({ entities: [], migrations: [] }), KafkaModule],
})
export class AppModule {}
