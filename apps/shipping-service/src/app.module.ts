import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { DropShippingAddressHandler } from './drop-shipping-address/drop-shipping-address.handler';
import { SHIPPING_ENTITIES, ShipmentEntity } from './entities';
import { ShipmentsController } from './list-shipments/shipments.controller';
import { SHIPPING_MIGRATIONS } from './migrations';
import { RecordShippingAddressHandler } from './record-shipping-address/record-shipping-address.handler';
import { ScheduleShipmentHandler } from './schedule-shipment/schedule-shipment.handler';
import { ShipmentScheduler } from './schedule-shipment/shipment-scheduler';

export const SERVICE: ServiceIdentity = {
  name: 'shipping-service',
  defaultPort: 3004,
  database: 'orderflow_shipping',
};

/** Every event this service reacts to: OrderCreated, PaymentProcessed, PaymentFailed. */
export const EVENT_HANDLERS = [
  RecordShippingAddressHandler,
  ScheduleShipmentHandler,
  DropShippingAddressHandler,
];

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
  providers: [ShipmentScheduler],
})
export class AppModule {}
