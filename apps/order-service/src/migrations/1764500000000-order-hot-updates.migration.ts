import { fillfactorMigration } from '@orderflow/service-defaults';

/**
 * An order is updated on each status change after PENDING; room left on its page keeps those
 * updates HOT (no new entry in its two indexes). Measured at the default fillfactor of 100: 75 %
 * HOT (ADR 0051).
 */
export const OrderHotUpdates1764500000000 = fillfactorMigration('OrderHotUpdates1764500000000', 'orders', 60);
