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

/**
 * One outbox row per transaction instead of one per event (ADR 0057). A transaction's events go in
 * one `json` array, in the order they were published; `event_count` lets the relay size a batch
 * without reading the arrays. Several events in one value pass the size at which Postgres
 * compresses a value (a single event does not), and a transaction writes and the relay deletes one
 * row with one index entry instead of one per event.
 *
 * `json`, not `jsonb`: the row is written once and read once, whole, by the relay, which sends
 * each payload's text as it is; the binary form would cost a conversion on insert and gives the
 * relay nothing. The view `messaging_outbox_events` shows one row per event, for people and tests.
 *
 * Rows waiting when this runs become one-event rows, in their order. The table keeps its identity,
 * primary key and NOTIFY trigger; the per-event columns are dropped.
 */
export class MessagingOutboxRowPerTransaction1764050000006 implements MigrationInterface {
  name = 'MessagingOutboxRowPerTransaction1764050000006';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'alter table messaging_outbox add column event_count int, add column events json compression lz4',
    );
    await runner.query(`
      update messaging_outbox set event_count = 1, events = json_build_array(json_build_object(
        'eventId', event_id, 'topic', topic, 'key', message_key, 'type', event_type,
        'headers', headers, 'payload', payload))`);
    await runner.query(`
      alter table messaging_outbox
        alter column event_count set not null,
        alter column events set not null,
        add constraint messaging_outbox_event_count check (event_count > 0),
        drop column event_id, drop column topic, drop column message_key, drop column event_type,
        drop column headers, drop column payload`);
    await runner.query(`
      create view messaging_outbox_events as
      select o.id, e.position, e."eventId" as event_id, e.topic, e.key as message_key,
             e.type as event_type, e.headers::jsonb as headers, e.payload::jsonb as payload, o.created_at
        from messaging_outbox o
        cross join lateral rows from (
          json_to_recordset(o.events) as ("eventId" uuid, topic text, key text, type text, headers json, payload json)
        ) with ordinality as e("eventId", topic, key, type, headers, payload, position)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      alter table messaging_outbox
        add column event_id uuid, add column topic text, add column message_key text,
        add column event_type text, add column headers jsonb, add column payload jsonb,
        alter column event_count drop not null, alter column events drop not null`);
    // New identity values, taken in (row, position) order, keep the relay's order by id.
    await runner.query(`
      insert into messaging_outbox (event_id, topic, message_key, event_type, headers, payload, created_at)
      select event_id, topic, message_key, event_type, headers, payload, created_at
        from messaging_outbox_events order by id, position`);
    await runner.query('delete from messaging_outbox where events is not null');
    await runner.query('drop view messaging_outbox_events');
    await runner.query(`
      alter table messaging_outbox
        drop constraint messaging_outbox_event_count, drop column event_count, drop column events,
        alter column event_id set not null, alter column topic set not null,
        alter column message_key set not null, alter column event_type set not null,
        alter column headers set not null, alter column payload set not null`);
  }
}

export const MESSAGING_MIGRATIONS = [
  MessagingSchema1764050000000,
  MessagingRelayWakeup1764050000002,
  MessagingInboxRetention1764050000003,
  MessagingOutboxDeleteOnPublish1764050000004,
  MessagingOutboxEventIdUnindexed1764050000005,
  MessagingOutboxRowPerTransaction1764050000006,
];

/** Channel the outbox trigger notifies on commit. */
export const OUTBOX_CHANNEL = 'messaging_outbox';
