import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DeclineCode } from '@orderflow/contracts';
import { bigintAsNumber } from './bigint-transformer';

export type PaymentStatus = 'PROCESSED' | 'FAILED';

/** The one charge attempt of an order (unique order_id): the at-most-once guarantee lives here. */
@Entity({ name: 'payments' })
export class PaymentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'text', unique: true })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: PaymentStatus;

  @Column({ name: 'amount_cents', type: 'bigint', transformer: bigintAsNumber })
  amountCents!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'decline_code', type: 'text', nullable: true })
  declineCode!: DeclineCode | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
