import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An order's history moves from the order_history table into a jsonb array on the order's row
 * (ADR 0056): a status change writes one row instead of two, and the array's length is checked
 * against the version by Postgres itself.
 */
export class OrderHistoryInRow1765100000000 implements MigrationInterface {
  name = 'OrderHistoryInRow1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`alter table orders add column history jsonb`);
    await runner.query(`
      update orders o
         set history = (select jsonb_agg(jsonb_build_object(
                                 'status', h.status, 'version', h.version, 'reason', h.reason,
                                 'at', to_char(h.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
                                 order by h.version)
                          from order_history h where h.order_id = o.id)`);
    await runner.query(`alter table orders alter column history set not null`);
    await runner.query(`
      alter table orders add constraint orders_history_ends_at_version
        check (jsonb_array_length(history) = version and (history -> -1 ->> 'version')::int = version)`);
    await runner.query(`drop table order_history`);
  }

  async down(runner: QueryRunner): Promise<void> {
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
      insert into order_history (order_id, version, status, reason, at)
      select o.id, (h ->> 'version')::int, h ->> 'status', h ->> 'reason', (h ->> 'at')::timestamptz
        from orders o, jsonb_array_elements(o.history) h`);
    await runner.query(`alter table orders drop column history`);
  }
}
