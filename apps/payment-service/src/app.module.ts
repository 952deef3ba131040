import { Module } from '@nestjs/common';
import { KafkaModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';

export const SERVICE: ServiceIdentity = {
  name: 'payment-service',
  defaultPort: 3003,
  database: 'orderflow_payment',
};

@Module({
  imports: [ServiceDefaultsModule, DatabaseModule.forService({ entities: [], migrations: [] }), KafkaModule],
})
export class AppModule {}
