import { Column, Entity, PrimaryColumn } from 'typeorm';
import type {
  OrderHistoryEntry,
  OrderSnapshotLine,
  OrderStatus,
  ShippingAddress,
} from '@orderflow/contracts';

// bigint columns come back from pg as strings; amounts stay far below 2^53.
const bigintAsNumber = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity('orders')
export class OrderEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'customer_id' })
  customerId!: string;

  @Column('text')
  status!: OrderStatus;

  @Column('int')
  version!: number;

  @Column('jsonb')
  items!: OrderSnapshotLine[];

  @Column('bigint', { name: 'total_cents', nullable: true, transformer: bigintAsNumber })
  totalCents!: number | null;

  @Column('text', { nullable: true })
  currency!: string | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('text', { name: 'payment_token' })
  paymentToken!: string;

  @Column('jsonb', { name: 'shipping_address' })
  shippingAddress!: ShippingAddress;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  /** Every status change, oldest first; its last entry is the current version (ADR 0056). */
  @Column('jsonb')
  history!: OrderHistoryEntry[];
}
