import { ShippingSchema1764300000000 } from './shipping-schema.migration';

export const SHIPPING_MIGRATIONS = [ShippingSchema1764300000000];
