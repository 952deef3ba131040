import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A migration that leaves `100 - fillfactor` percent of each new page of `table` free, so that
 * updates of its rows can stay on their page (HOT: no new index entries), ADR 0051. `name` must end
 * in the migration's timestamp, as TypeORM requires. The setting applies to pages written from then
 * on; existing pages keep their packing until the table is rewritten.
 */
export function fillfactorMigration(
  name: string,
  table: string,
  fillfactor: number,
): new () => MigrationInterface {
  return class implements MigrationInterface {
    readonly name = name;

    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`alter table ${table} set (fillfactor = ${fillfactor})`);
    }

    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`alter table ${table} reset (fillfactor)`);
    }
  };
}
