import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The first response to (customer, Idempotency-Key), replayed for later identical requests. */
@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  @PrimaryColumn('text', { name: 'customer_id' })
  customerId!: string;

  @PrimaryColumn('text')
  key!: string;

  @Column('text', { name: 'request_hash' })
  requestHash!: string;

  @Column('int', { name: 'status_code', nullable: true })
  statusCode!: number | null;

  @Column('jsonb', { name: 'response_body', nullable: true })
  responseBody!: unknown;

  @Column('jsonb', { name: 'response_headers', nullable: true })
  responseHeaders!: Record<string, string> | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
