import { MigrationInterface, QueryRunner } from 'typeorm';

export class OrderSchema1764200000000 implements MigrationInterface {
  name = 'OrderSchema1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table orders (
        id uuid primary key,
        customer_id text not null,
        status text not null,
        version int not null check (version >= 1),
        items jsonb not null,
        total_cents bigint,
        currency text,
        reason text,
        payment_token text not null,
        shipping_address jsonb not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    await runner.query(
      `create index orders_customer_newest_first on orders (customer_id, created_at desc, id desc)`,
    );
    await runner.query(`
      create table order_history (
        order_id uuid not null references orders (id),
        version int not null,
        status text not null,
        reason text,
        at timestamptz not null,
        primary key (order_id, version)
      )`);
    await runner.query(`
      create table parked_events (
        id bigint generated always as identity primary key,
        order_id uuid not null references orders (id),
        event_id uuid not null unique,
        event_type text not null,
        event jsonb not null,
        parked_at timestamptz not null default now()
      )`);
    await runner.query(`create index parked_events_by_order on parked_events (order_id, id)`);
    await runner.query(`
      create table idempotency_keys (
        customer_id text not null,
        key text not null,
        request_hash text not null,
        status_code int,
        response_body jsonb,
        response_headers jsonb,
        created_at timestamptz not null default now(),
        primary key (customer_id, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table idempotency_keys');
    await runner.query('drop table parked_events');
    await runner.query('drop table order_history');
    await runner.query('drop table orders');
  }
}
