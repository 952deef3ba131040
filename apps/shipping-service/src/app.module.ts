import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { SHIPPING_ENTITIES, ShipmentEntity } from './entities';
import { ShipmentsController } from './list-shipments/shipments.controller';
import { SHIPPING_MIGRATIONS } from './migrations';
import { RecordPaymentOutcomesHandler } from './record-payment-outcome/record-payment-outcomes.handler';
import { RecordShippingAddressesHandler } from './record-shipping-address/record-shipping-addresses.handler';
import { ApplyShipmentRequestEvents } from './schedule-shipment/apply-shipment-request-events.service';

export const SERVICE: ServiceIdentity = {
  name: 'shipping-service',
  defaultPort: 3004,
  database: 'orderflow_shipping',
};

/**
 * Every event this service reacts to: OrderCreated (RecordShippingAddressesHandler), PaymentProcessed
 * and PaymentFailed (RecordPaymentOutcomesHandler). Both are batch handlers, and each topic's types go
 * to one of them, so a consumer run (one partition of one topic) is one call that costs at most two
 * statements whatever its length (ApplyShipmentRequestEvents).
 */
export const EVENT_HANDLERS = [RecordShippingAddressesHandler, RecordPaymentOutcomesHandler];

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: SHIPPING_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...SHIPPING_MIGRATIONS],
    }),
    TypeOrmModule.forFeature([ShipmentEntity]),
    KafkaModule,
    MessagingModule.forService({ produces: ['ShipmentScheduled'] }),
  ],
  controllers: [ShipmentsController, ...EVENT_HANDLERS],
  providers: [ApplyShipmentRequestEvents],
})
export class AppModule {}
