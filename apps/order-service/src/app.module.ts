import { Module } from '@nestjs/common';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { ApplySagaEvent } from './apply-saga-event/apply-saga-event.service';
import { InventoryRejectedHandler } from './apply-saga-event/inventory-rejected.handler';
import { InventoryReleasedHandler } from './apply-saga-event/inventory-released.handler';
import { InventoryReservedHandler } from './apply-saga-event/inventory-reserved.handler';
import { PaymentFailedHandler } from './apply-saga-event/payment-failed.handler';
import { PaymentProcessedHandler } from './apply-saga-event/payment-processed.handler';
import { ShipmentScheduledHandler } from './apply-saga-event/shipment-scheduled.handler';
import { GetOrderController } from './get-order/get-order.controller';
import { ListOrdersController } from './list-orders/list-orders.controller';
import { OrderSchema1764200000000 } from './migrations/1764200000000-order-schema.migration';
import { OrderHistoryEntity, OrderEntity } from './order/order.entity';
import { OrderStatusRecorder } from './order/order-status-recorder';
import { ParkedEventEntity } from './order/parked-event.entity';
import { IdempotencyKeyEntity } from './place-order/idempotency-key.entity';
import { PlaceOrderController } from './place-order/place-order.controller';
import { PlaceOrder } from './place-order/place-order.service';

export const SERVICE: ServiceIdentity = {
  name: 'order-service',
  defaultPort: 3001,
  database: 'orderflow_order',
};

/** The saga events order-service applies to its state machine (its subscriptions). */
const SAGA_EVENT_HANDLERS = [
  InventoryReservedHandler,
  InventoryRejectedHandler,
  PaymentProcessedHandler,
  PaymentFailedHandler,
  InventoryReleasedHandler,
  ShipmentScheduledHandler,
];

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: [OrderEntity, OrderHistoryEntity, ParkedEventEntity, IdempotencyKeyEntity],
      migrations: [...MESSAGING_MIGRATIONS, OrderSchema1764200000000],
    }),
    KafkaModule,
    MessagingModule.forService({ produces: ['OrderCreated', 'OrderStatusChanged'] }),
  ],
  controllers: [PlaceOrderController, GetOrderController, ListOrdersController, ...SAGA_EVENT_HANDLERS],
  providers: [PlaceOrder, ApplySagaEvent, OrderStatusRecorder],
})
export class AppModule {}
