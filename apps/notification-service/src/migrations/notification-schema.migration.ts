import { MigrationInterface, QueryRunner } from 'typeorm';

export class NotificationSchema1764400000000 implements MigrationInterface {
  name = 'NotificationSchema1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table notifications (
        id uuid primary key,
        order_id text not null,
        customer_id text not null,
        kind text not null,
        channel text not null,
        recipient text not null,
        subject text not null,
        body text not null,
        order_version integer not null,
        sent_at timestamptz not null default now(),
        constraint notifications_order_kind unique (order_id, kind)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table notifications');
  }
}
