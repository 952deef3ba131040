import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The gateway's read model of order status: the latest snapshot of each order as carried by
 * `OrderStatusChanged`. The snapshot's `history` is what SSE resumes from (`Last-Event-ID`).
 */
export class OrderStatusProjection1764100000000 implements MigrationInterface {
  name = 'OrderStatusProjection1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table order_status_projection (
        order_id text primary key,
        customer_id text not null,
        version integer not null check (version >= 1),
        status text not null,
        snapshot jsonb not null,
        updated_at timestamptz not null default now()
      )`);
    await runner.query(
      `create index order_status_projection_customer on order_status_projection (customer_id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table order_status_projection');
  }
}
