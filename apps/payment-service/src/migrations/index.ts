import { PaymentSchema1764200000000 } from './payment-schema.migration';
import { PaymentIntentHotUpdates1764500000000 } from './payment-intent-hot-updates.migration';

export const PAYMENT_MIGRATIONS = [PaymentSchema1764200000000, PaymentIntentHotUpdates1764500000000];
