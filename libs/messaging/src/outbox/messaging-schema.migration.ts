import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of the messaging lib, created in each service's own database: add
 * `MESSAGING_MIGRATIONS` to the service's migrations.
 *
 * - `messaging_outbox`: events committed with the state change that caused them, waiting for the
 *   relay (which deletes them once published). A statement trigger NOTIFYs the relay; notifications are delivered only on commit.
 * - `messaging_inbox`: (consumer group, event id) of every event a consumer group has applied.
 */
export class MessagingSchema1764050000000 implements MigrationInterface {
  name = 'MessagingSchema1764050000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table messaging_outbox (
        id bigint generated always as identity primary key,
        event_id uuid not null unique,
        topic text not null,
        message_key text not null,
        event_type text not null,
        headers jsonb not null,
        payload jsonb not null,
        created_at timestamptz not null default now(),
        published_at timestamptz
      )`);
    await runner.query(
      `create index messaging_outbox_unpublished on messaging_outbox (id) where published_at is null`,
    );
    await runner.query(
      `create index messaging_outbox_published on messaging_outbox (published_at) where published_at is not null`,
    );
    await runner.query(`
      create function messaging_outbox_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('messaging_outbox', '');
        return null;
      end $$`);
    await runner.query(`
      create trigger messaging_outbox_notify after insert on messaging_outbox
      for each statement execute function messaging_outbox_notify()`);
    await runner.query(`
      create table messaging_inbox (
        consumer_group text not null,
        event_id uuid not null,
        event_type text not null,
        processed_at timestamptz not null default now(),
        primary key (consumer_group, event_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table messaging_inbox');
    await runner.query('drop trigger messaging_outbox_notify on messaging_outbox');
    await runner.query('drop function messaging_outbox_notify()');
    await runner.query('drop table messaging_outbox');
  }
}

/**
 * NOTIFY takes a database-wide lock from pre-commit to the end of the commit, so notifying on
 * every commit serializes all writers (measured: 11k → 2.5k commits/s). The trigger therefore
 * notifies only while the relay says it is idle and listening; a busy relay is draining anyway.
 */
export class MessagingRelayWakeup1764050000002 implements MigrationInterface {
  name = 'MessagingRelayWakeup1764050000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table messaging_relay_state (
        id smallint primary key check (id = 1),
        listening boolean not null
      )`);
    await runner.query('insert into messaging_relay_state (id, listening) values (1, true)');
    await runner.query(`
      create or replace function messaging_outbox_notify() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from messaging_relay_state where listening) then
          perform pg_notify('messaging_outbox', '');
        end if;
        return null;
      end $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create or replace function messaging_outbox_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('messaging_outbox', '');
        return null;
      end $$`);
    await runner.query('drop table messaging_relay_state');
  }
}

/** Lets the active relay delete dedupe records past their retention (see OutboxRelayOptions). */
export class MessagingInboxRetention1764050000003 implements MigrationInterface {
  name = 'MessagingInboxRetention1764050000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('create index messaging_inbox_processed_at on messaging_inbox (processed_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop index messaging_inbox_processed_at');
  }
}

/**
 * The relay deletes a batch once Kafka has acknowledged it, instead of setting `published_at`
 * (ADR 0047): marking wrote a new version of the whole row, payload included, with an entry in
 * each index, and the retention sweep deleted it a day later. A row in the outbox is now a row
 * not yet published. Rows already published are deleted here; those still unpublished stay.
 */
export class MessagingOutboxDeleteOnPublish1764050000004 implements MigrationInterface {
  name = 'MessagingOutboxDeleteOnPublish1764050000004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('delete from messaging_outbox where published_at is not null');
    await runner.query('drop index messaging_outbox_published');
    await runner.query('drop index messaging_outbox_unpublished');
    await runner.query('alter table messaging_outbox drop column published_at');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('alter table messaging_outbox add column published_at timestamptz');
    await runner.query(
      `create index messaging_outbox_unpublished on messaging_outbox (id) where published_at is null`,
    );
    await runner.query(
      `create index messaging_outbox_published on messaging_outbox (published_at) where published_at is not null`,
    );
  }
}

/**
 * Drops the unique index on `messaging_outbox.event_id` (ADR 0051). Event ids are random UUIDs made
 * by the writer, and consumers dedupe on them in their inbox; the index guarded against nothing, yet
 * every outbox insert and every publish paid an entry in a btree of random keys. The relay reads
 * and deletes by `id`.
 */
export class MessagingOutboxEventIdUnindexed1764050000005 implements MigrationInterface {
  name = 'MessagingOutboxEventIdUnindexed1764050000005';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('alter table messaging_outbox drop constraint messaging_outbox_event_id_key');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      'alter table messaging_outbox add constraint messaging_outbox_event_id_key unique (event_id)',
    );
  }
}

export const MESSAGING_MIGRATIONS = [
  MessagingSchema1764050000000,
  MessagingRelayWakeup1764050000002,
  MessagingInboxRetention1764050000003,
  MessagingOutboxDeleteOnPublish1764050000004,
  MessagingOutboxEventIdUnindexed1764050000005,
];

/** Channel the outbox trigger notifies on commit. */
export const OUTBOX_CHANNEL = 'messaging_outbox';
