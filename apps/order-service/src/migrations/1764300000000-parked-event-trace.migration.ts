import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A parked event keeps the trace context of the consumer span that parked it, so the status change
 * it causes when it is applied later continues its own trace (not the trace of the event that
 * unlocked it).
 */
export class ParkedEventTrace1764300000000 implements MigrationInterface {
  name = 'ParkedEventTrace1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`alter table parked_events add column trace jsonb not null default '{}'::jsonb`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`alter table parked_events drop column trace`);
  }
}
