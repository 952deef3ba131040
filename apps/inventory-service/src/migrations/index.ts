import { InventorySchema1764100000000 } from './inventory-schema.migration';
import { DemoCatalog1764100000001 } from './demo-catalog.migration';

export const INVENTORY_MIGRATIONS = [InventorySchema1764100000000, DemoCatalog1764100000001];
