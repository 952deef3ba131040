import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import {
  DatabaseModule,
  env,
  EnvSpec,
  ServiceDefaultsModule,
  ServiceIdentity,
} from '@orderflow/service-defaults';
import { PaymentCharger } from './charge-payment/payment-charger';
import { PaymentConfig, PaymentProvider } from './charge-payment/payment-provider';
import { ChargeReservedOrdersHandler } from './charge-reserved-order/charge-reserved-orders.handler';
import { PAYMENT_ENTITIES, PaymentEntity } from './entities';
import { PaymentsController } from './list-payments/payments.controller';
import { PAYMENT_MIGRATIONS } from './migrations';
import { RecordPaymentIntentsHandler } from './record-payment-intent/record-payment-intents.handler';

export const SERVICE: ServiceIdentity = {
  name: 'payment-service',
  defaultPort: 3003,
  database: 'orderflow_payment',
};

export const PAYMENT_CONFIG: EnvSpec<PaymentConfig> = {
  PAYMENT_LATENCY_MS: env.int({ min: 0, max: 60_000, default: 0 }),
};

/**
 * Every event this service reacts to, one batch handler per topic (a consumer run of a topic is one
 * call): OrderCreated (orders topic); InventoryReserved and InventoryRejected (inventory topic).
 */
export const EVENT_HANDLERS = [RecordPaymentIntentsHandler, ChargeReservedOrdersHandler];

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: PAYMENT_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...PAYMENT_MIGRATIONS],
    }),
    TypeOrmModule.forFeature([PaymentEntity]),
    KafkaModule,
    MessagingModule.forService({ produces: ['PaymentProcessed', 'PaymentFailed'] }),
  ],
  controllers: [PaymentsController, ...EVENT_HANDLERS],
  providers: [PaymentProvider, PaymentCharger],
})
export class AppModule {}
