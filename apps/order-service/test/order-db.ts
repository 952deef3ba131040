import { handlerTestDb } from '@orderflow/testing';
import { ORDER_MIGRATIONS } from '../src/migrations/order-migrations';
import { OrderEntity } from '../src/order/order.entity';
import { ParkedEventEntity } from '../src/order/parked-event.entity';
import { IdempotencyKeyEntity } from '../src/place-order/idempotency-key.entity';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated order-service database of its own for one test file (see handlerTestDb). */
export const orderTestDb = () =>
  handlerTestDb({
    service: 'order-service',
    entities: [OrderEntity, ParkedEventEntity, IdempotencyKeyEntity],
    migrations: ORDER_MIGRATIONS,
  });
