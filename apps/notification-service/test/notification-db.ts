import { handlerTestDb } from '@orderflow/testing';
import { NOTIFICATION_ENTITIES } from '../src/entities';
import { NOTIFICATION_MIGRATIONS } from '../src/migrations';

export { testEnvelope as envelope } from '@orderflow/testing';

/** A migrated notification-service database of its own for one test file (see handlerTestDb). */
export const notificationTestDb = () =>
  handlerTestDb({
    service: 'notification-service',
    entities: NOTIFICATION_ENTITIES,
    migrations: NOTIFICATION_MIGRATIONS,
  });
