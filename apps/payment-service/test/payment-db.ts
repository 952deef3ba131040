import { handlerTestDb } from '@orderflow/testing';
import { PAYMENT_ENTITIES } from '../src/entities';
import { PAYMENT_MIGRATIONS } from '../src/migrations';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated payment-service database of its own for one test file (see handlerTestDb). */
export const paymentTestDb = () =>
  handlerTestDb({ service: 'payment-service', entities: PAYMENT_ENTITIES, migrations: PAYMENT_MIGRATIONS });
