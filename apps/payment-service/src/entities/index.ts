import { PaymentIntentEntity } from './payment-intent.entity';
import { PaymentEntity } from './payment.entity';

export const PAYMENT_ENTITIES = [PaymentIntentEntity, PaymentEntity];
export { PaymentIntentEntity, PaymentEntity };
