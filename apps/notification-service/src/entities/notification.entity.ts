import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/** A notification that was sent; at most one per (order, kind). */
@Entity({ name: 'notifications' })
@Unique('notifications_order_kind', ['orderId', 'kind'])
export class NotificationEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  channel!: string;

  @Column({ type: 'text' })
  recipient!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'text' })
  body!: string;

  /** Version of the order status change that triggered it. */
  @Column({ name: 'order_version', type: 'integer' })
  orderVersion!: number;

  @Column({ name: 'sent_at', type: 'timestamptz' })
  sentAt!: Date;
}
