import { ShippingSchema1764300000000 } from './shipping-schema.migration';
import { ShipmentRequestHotUpdates1764500000000 } from './shipment-request-hot-updates.migration';

export const SHIPPING_MIGRATIONS = [ShippingSchema1764300000000, ShipmentRequestHotUpdates1764500000000];
