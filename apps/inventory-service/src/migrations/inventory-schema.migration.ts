import { MigrationInterface, QueryRunner } from 'typeorm';

/** Catalog, stock counters (never negative, enforced by the database too) and reservations. */
export class InventorySchema1764100000000 implements MigrationInterface {
  name = 'InventorySchema1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table products (
        sku text collate "C" primary key,
        name text not null,
        price_cents integer not null check (price_cents >= 0),
        currency char(3) not null,
        available integer not null check (available >= 0),
        reserved integer not null default 0 check (reserved >= 0),
        sold integer not null default 0 check (sold >= 0),
        updated_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table reservations (
        id uuid primary key,
        order_id text not null unique,
        customer_id text not null,
        status text not null check (status in ('RESERVED', 'REJECTED', 'RELEASED', 'COMMITTED')),
        reason text,
        total_cents bigint,
        currency char(3),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await runner.query(`
      create table reservation_lines (
        reservation_id uuid not null references reservations (id),
        sku text collate "C" not null references products (sku),
        quantity integer not null check (quantity > 0),
        unit_price_cents integer not null check (unit_price_cents >= 0),
        primary key (reservation_id, sku)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table reservation_lines');
    await runner.query('drop table reservations');
    await runner.query('drop table products');
  }
}
