import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { SagaEvent } from './order-state-machine';

/** An event that arrived before the order reached its precondition; applied when it does. */
@Entity('parked_events')
export class ParkedEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column('uuid', { name: 'order_id' })
  orderId!: string;

  @Column('uuid', { name: 'event_id' })
  eventId!: string;

  @Column('text', { name: 'event_type' })
  eventType!: SagaEvent['type'];

  @Column('jsonb')
  event!: SagaEvent;

  /** Trace context of the consumer span that parked it: the status change it causes continues it. */
  @Column('jsonb', { default: () => `'{}'::jsonb` })
  trace!: Record<string, string>;

  @Column('timestamptz', { name: 'parked_at', default: () => 'now()' })
  parkedAt!: Date;
}
