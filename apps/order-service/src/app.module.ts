import { Module } from '@nestjs/common';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { ApplySagaEventsHandler } from './apply-saga-event/apply-saga-events.handler';
import { ApplySagaEvents } from './apply-saga-event/apply-saga-events.service';
import { GetOrderController } from './get-order/get-order.controller';
import { ListOrdersController } from './list-orders/list-orders.controller';
import { ORDER_MIGRATIONS } from './migrations/order-migrations';
import { OrderEntity } from './order/order.entity';
import { OrderStatusRecorder } from './order/order-status-recorder';
import { ParkedEventEntity } from './order/parked-event.entity';
import { IdempotencyKeyEntity } from './place-order/idempotency-key.entity';
import { PlaceOrderController } from './place-order/place-order.controller';
import { OrderIntake } from './place-order/order-intake';
import { PlaceOrder } from './place-order/place-order.service';

export const SERVICE: ServiceIdentity = {
  name: 'order-service',
  defaultPort: 3001,
  database: 'orderflow_order',
};

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: [OrderEntity, ParkedEventEntity, IdempotencyKeyEntity],
      migrations: [...MESSAGING_MIGRATIONS, ...ORDER_MIGRATIONS],
    }),
    KafkaModule,
    MessagingModule.forService({ produces: ['OrderCreated', 'OrderStatusChanged'] }),
  ],
  controllers: [
    PlaceOrderController,
    GetOrderController,
    ListOrdersController,
    // The saga events it consumes, applied a consumer run at a time.
    ApplySagaEventsHandler,
  ],
  providers: [PlaceOrder, OrderIntake, ApplySagaEvents, OrderStatusRecorder],
})
export class AppModule {}
