import { handlerTestDb } from '@orderflow/testing';
import { OrderStatusProjection1764100000000 } from '../src/projection/order-status-projection.migration';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated gateway database of its own for one test file (see handlerTestDb). */
export const gatewayTestDb = () =>
  handlerTestDb({ service: 'gateway', entities: [], migrations: [OrderStatusProjection1764100000000] });
