import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { ReservationEntity } from './reservation.entity';

@Entity({ name: 'reservation_lines' })
export class ReservationLineEntity {
  @PrimaryColumn({ name: 'reservation_id', type: 'uuid' })
  reservationId!: string;

  @PrimaryColumn({ type: 'text' })
  sku!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price_cents', type: 'integer' })
  unitPriceCents!: number;

  @ManyToOne('ReservationEntity', 'lines')
  @JoinColumn({ name: 'reservation_id' })
  reservation!: ReservationEntity;
}
