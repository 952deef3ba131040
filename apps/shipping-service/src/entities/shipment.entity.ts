import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ShippingAddress } from '@orderflow/contracts';

/** The one shipment of a paid order (unique order_id). */
@Entity({ name: 'shipments' })
export class ShipmentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'order_id', type: 'text', unique: true })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  carrier!: string;

  @Column({ name: 'tracking_number', type: 'text', unique: true })
  trackingNumber!: string;

  @Column({ type: 'jsonb' })
  address!: ShippingAddress;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
