import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KafkaModule, MESSAGING_MIGRATIONS, MessagingModule } from '@orderflow/messaging';
import { DatabaseModule, ServiceDefaultsModule, ServiceIdentity } from '@orderflow/service-defaults';
import { CatalogController } from './browse-catalog/catalog.controller';
import { CommitStockHandler } from './commit-stock/commit-stock.handler';
import { INVENTORY_ENTITIES, ProductEntity } from './entities';
import { INVENTORY_MIGRATIONS } from './migrations';
import { ReleaseStockHandler } from './release-stock/release-stock.handler';
import { ReserveStockHandler } from './reserve-stock/reserve-stock.handler';
import { UpsertProductController } from './upsert-product/upsert-product.controller';

export const SERVICE: ServiceIdentity = {
  name: 'inventory-service',
  defaultPort: 3002,
  database: 'orderflow_inventory',
};

/** Every event this service reacts to: OrderCreated, PaymentFailed, PaymentProcessed. */
export const EVENT_HANDLERS = [ReserveStockHandler, ReleaseStockHandler, CommitStockHandler];

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
