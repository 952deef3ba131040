import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { CatalogController } from './browse-catalog/catalog.controller';
import { INVENTORY_ENTITIES, ProductEntity } from './entities';
import { INVENTORY_MIGRATIONS } from './migrations';
import { ReserveStockHandler } from './reserve-stock/reserve-stock.handler';
import { SettleReservationsHandler } from './settle-reservation/settle-reservations.handler';
import { UpsertProductController } from './upsert-product/upsert-product.controller';

export const SERVICE: ServiceIdentity = {
  name: 'inventory-service',
  defaultPort: 3002,
  database: 'orderflow_inventory',
};

/**
 * Every event this service reacts to: OrderCreated (ReserveStockHandler), PaymentProcessed and
 * PaymentFailed (SettleReservationsHandler). Both are batch handlers, and each topic's types go to
 * one of them, so a consumer run (one partition of one topic) is one handler call: it locks its
 * product rows in one sorted statement per transaction, which is what keeps runs deadlock-free.
 */
export const EVENT_HANDLERS = [ReserveStockHandler, SettleReservationsHandler];

@Module({
  imports: [
    ServiceDefaultsModule,
    DatabaseModule.forService({
      entities: INVENTORY_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...INVENTORY_MIGRATIONS],
    }),
    TypeOrmModule.forFeature([ProductEntity]),
    KafkaModule,
    MessagingModule.forService({ produces: ['InventoryReserved', 'InventoryRejected', 'InventoryReleased'] }),
  ],
  controllers: [CatalogController, UpsertProductController, ...EVENT_HANDLERS],
})
export class AppModule {}
