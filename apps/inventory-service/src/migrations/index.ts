import { InventorySchema1764100000000 } from './inventory-schema.migration';
import { DemoCatalog1764100000001 } from './demo-catalog.migration';
import { ReservationHotUpdates1764500000000 } from './reservation-hot-updates.migration';

export const INVENTORY_MIGRATIONS = [
  InventorySchema1764100000000,
  DemoCatalog1764100000001,
  ReservationHotUpdates1764500000000,
];
