import { handlerTestDb } from '@orderflow/testing';
import { SHIPPING_ENTITIES } from '../src/entities';
import { SHIPPING_MIGRATIONS } from '../src/migrations';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated shipping-service database of its own for one test file (see handlerTestDb). */
export const shippingTestDb = () =>
  handlerTestDb({
    service: 'shipping-service',
    entities: SHIPPING_ENTITIES,
    migrations: SHIPPING_MIGRATIONS,
  });
