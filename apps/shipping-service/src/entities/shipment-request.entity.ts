import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ShippingAddress } from '@orderflow/contracts';

/**
 * What shipping-service knows about an order before scheduling it: the address (OrderCreated) and
 * whether it is paid (PaymentProcessed), in either order. OPEN until SCHEDULED, or DROPPED when
 * the payment failed (the address is then forgotten).
 */
export type ShipmentRequestStatus = 'OPEN' | 'SCHEDULED' | 'DROPPED';

@Entity({ name: 'shipment_requests' })
export class ShipmentRequestEntity {
  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: ShipmentRequestStatus;

  @Column({ type: 'jsonb', nullable: true })
  address!: ShippingAddress | null;

  @Column({ name: 'payment_id', type: 'text', nullable: true })
  paymentId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
