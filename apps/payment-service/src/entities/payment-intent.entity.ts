import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './bigint-transformer';

/**
 * What payment-service knows about an order before charging it: the token (from OrderCreated)
 * and the reserved total (from InventoryReserved), in whichever order they arrive. OPEN until
 * charged or dropped (the order was rejected); the token is forgotten once it is not needed.
 */
export type PaymentIntentStatus = 'OPEN' | 'CHARGED' | 'DROPPED';

@Entity({ name: 'payment_intents' })
export class PaymentIntentEntity {
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: PaymentIntentStatus;

  @Column({ name: 'has_token', type: 'boolean' })
  hasToken!: boolean;

  @Column({ name: 'payment_token', type: 'text', nullable: true })
  paymentToken!: string | null;

  @Column({ name: 'amount_cents', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  amountCents!: number | null;

  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
