import { handlerTestDb } from '@orderflow/testing';
import { INVENTORY_ENTITIES } from '../src/entities';
import { INVENTORY_MIGRATIONS } from '../src/migrations';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated inventory-service database of its own for one test file (see handlerTestDb). */
export const inventoryTestDb = () =>
  handlerTestDb({
    service: 'inventory-service',
    entities: INVENTORY_ENTITIES,
    migrations: INVENTORY_MIGRATIONS,
  });
