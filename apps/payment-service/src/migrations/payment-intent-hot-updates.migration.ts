import { fillfactorMigration } from '@orderflow/service-defaults';

/**
 * An intent is inserted by the first of its order's events and updated by the next two, often both
 * in one transaction, so its page must hold three versions of it for the updates to stay HOT (no
 * new index entry, no second page). Measured at the default fillfactor of 100: 27 % HOT (ADR 0051).
 *
 */
export const PaymentIntentHotUpdates1764500000000 = fillfactorMigration(
  'PaymentIntentHotUpdates1764500000000',
  'payment_intents',
  40,
);
