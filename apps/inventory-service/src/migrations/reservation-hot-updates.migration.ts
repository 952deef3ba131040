import { fillfactorMigration } from '@orderflow/service-defaults';

/**
 * A reservation is inserted when its order is claimed, updated with the decision in the same
 * transaction, and updated again when it is settled (committed or released), so its page must hold
 * three versions of it for the updates to stay HOT (no new entry in its two indexes, no second page).
 * Measured at the default fillfactor of 100: 35 % HOT (ADR 0051).
 */
export const ReservationHotUpdates1764500000000 = fillfactorMigration(
  'ReservationHotUpdates1764500000000',
  'reservations',
  40,
);
