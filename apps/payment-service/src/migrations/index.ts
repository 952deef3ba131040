import { PaymentSchema1764200000000 } from './payment-schema.migration';

export const PAYMENT_MIGRATIONS = [PaymentSchema1764200000000];
