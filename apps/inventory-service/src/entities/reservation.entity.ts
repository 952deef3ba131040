import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { ReservationLineEntity } from './reservation-line.entity';

/**
 * One per order (unique order_id), whatever the outcome: REJECTED (nothing taken), RESERVED
 * (stock held), then RELEASED (given back after a failed payment) or COMMITTED (sold).
 */
export type ReservationStatus = 'RESERVED' | 'REJECTED' | 'RELEASED' | 'COMMITTED';

const bigintAsNumber = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'reservations' })
export class ReservationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'text', unique: true })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: ReservationStatus;

  /** Rejection reason, or the decline code that released it. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'total_cents', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  totalCents!: number | null;

  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToMany(() => ReservationLineEntity, (line) => line.reservation)
  lines!: ReservationLineEntity[];
}
