import { fillfactorMigration } from '@orderflow/service-defaults';

/**
 * A shipment request is inserted by the first of its order's events and updated by the next two,
 * so its page must hold three versions of it for the updates to stay HOT (no new index entry, no
 * second page). Measured at the default fillfactor of 100: 12 % HOT (ADR 0051).
 */
export const ShipmentRequestHotUpdates1764500000000 = fillfactorMigration(
  'ShipmentRequestHotUpdates1764500000000',
  'shipment_requests',
  40,
);
