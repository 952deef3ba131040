import { Module } from '@nestjs/common';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { consumerOptions } from './gateway.config';
import { OrderStatusProjection } from './projection/order-status-projection';
import { OrderStatusProjection1764100000000 } from './projection/order-status-projection.migration';
import { OrdersGateway } from './socket/orders.gateway';
import { RedisConnection } from './socket/redis-connection';
import { OrderEventsController } from './sse/order-events.controller';
import { AfterCommit } from './status/after-commit';
import { OrderStatusChangedHandler } from './status/order-status-changed.handler';
import { StatusEvents } from './status/status-events';
import { StatusFanout } from './status/status-fanout';
import { StorefrontApiController } from './storefront/storefront-api.controller';

export const SERVICE: ServiceIdentity = { name: 'gateway', defaultPort: 3000, database: 'orderflow_gateway' };

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: [],
      migrations: [...MESSAGING_MIGRATIONS, OrderStatusProjection1764100000000],
      poolSize: 20,
    }),
    KafkaModule,
    // The gateway produces nothing: no relay.
    MessagingModule.forService({ relay: false, consumer: consumerOptions() }),
  ],
  controllers: [OrderStatusChangedHandler, OrderEventsController, StorefrontApiController],
  providers: [OrderStatusProjection, AfterCommit, StatusEvents, StatusFanout, RedisConnection, OrdersGateway],
})
export class AppModule {}
