import { MigrationInterface, QueryRunner } from 'typeorm';

export class PaymentSchema1764200000000 implements MigrationInterface {
  name = 'PaymentSchema1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table payment_intents (
        order_id text primary key,
        customer_id text not null,
        status text not null default 'OPEN' check (status in ('OPEN', 'CHARGED', 'DROPPED')),
        has_token boolean not null default false,
        payment_token text,
        amount_cents bigint check (amount_cents >= 0),
        currency char(3),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table payments (
        id uuid primary key,
        order_id text not null unique,
        customer_id text not null,
        status text not null check (status in ('PROCESSED', 'FAILED')),
        amount_cents bigint not null check (amount_cents >= 0),
        currency char(3) not null,
        decline_code text,
        created_at timestamptz not null default now(),
        check ((status = 'FAILED') = (decline_code is not null))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table payments');
    await runner.query('drop table payment_intents');
  }
}
