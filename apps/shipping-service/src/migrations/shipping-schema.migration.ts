import { MigrationInterface, QueryRunner } from 'typeorm';

export class ShippingSchema1764300000000 implements MigrationInterface {
  name = 'ShippingSchema1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table shipment_requests (
        order_id text primary key,
        customer_id text not null,
        status text not null default 'OPEN' check (status in ('OPEN', 'SCHEDULED', 'DROPPED')),
        address jsonb,
        payment_id text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table shipments (
        id uuid primary key,
        order_id text not null unique,
        customer_id text not null,
        carrier text not null,
        tracking_number text not null unique,
        address jsonb not null,
        created_at timestamptz not null default now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table shipments');
    await runner.query('drop table shipment_requests');
  }
}
