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
import { ChargeReservedOrderHandler } from './charge-reserved-order/charge-reserved-order.handler';
import { DropPaymentIntentHandler } from './drop-payment-intent/drop-payment-intent.handler';
import { PAYMENT_ENTITIES, PaymentEntity } from './entities';
import { PaymentsController } from './list-payments/payments.controller';
import { PAYMENT_MIGRATIONS } from './migrations';
import { RecordPaymentIntentHandler } from './record-payment-intent/record-payment-intent.handler';

export const SERVICE: ServiceIdentity = {
  name: 'payment-service',
  defaultPort: 3003,
  database: 'orderflow_payment',
};

export const PAYMENT_CONFIG: EnvSpec<PaymentConfig> = {
  PAYMENT_LATENCY_MS: env.int({ min: 0, max: 60_000, default: 0 }),
};

/** Every event this service reacts to: OrderCreated, InventoryReserved, InventoryRejected. */
export const EVENT_HANDLERS = [
  RecordPaymentIntentHandler,
  ChargeReservedOrderHandler,
  DropPaymentIntentHandler,
];

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
