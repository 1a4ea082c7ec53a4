// What the runtime needs: one lease row per source (scheduling and fencing), a cursor per source
// and upstream event type, the event store, runs, and quarantined records.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  // `generation` increases with every claim; progress writes must present the generation they were
  // claimed with, so a worker that lost its lease (expired, or re-claimed elsewhere) cannot commit.
  await sql`
    create table source_leases (
      source_id bigint primary key references sources (id) on delete cascade,
      next_run_at timestamptz not null default now(),
      run_requested boolean not null default false,
      blocked boolean not null default false,
      lease_owner text,
      lease_expires_at timestamptz,
      generation bigint not null default 0,
      consecutive_failures integer not null default 0,
      last_started_at timestamptz,
      last_finished_at timestamptz,
      newest_event_at timestamptz,
      quarantined_records bigint not null default 0
    )`.execute(db)
  await sql`create index source_leases_due on source_leases (next_run_at)`.execute(db)

  // `after` is the Logs Platform's last_end_time, kept verbatim (microseconds matter).
  // `done_files`: files finished at or after `after` (boundary dedupe, ties not yet passed).
  // `in_progress`: the file being ingested and how many of its records are committed.
  await sql`
    create table source_cursors (
      source_id bigint not null references sources (id) on delete cascade,
      event_type text not null,
      after text not null,
      done_files json not null default '[]',
      in_progress json,
      updated_at timestamptz not null default now(),
      primary key (source_id, event_type)
    )`.execute(db)

  // Metadata (_source, _sourceCategory, _collector, fields) is the same for every event of a run,
  // so it is stored once and referenced.
  await sql`
    create table event_metadata (
      id bigint generated always as identity primary key,
      source_id bigint not null references sources (id) on delete cascade,
      digest text not null,
      metadata json not null,
      constraint event_metadata_unique unique (source_id, digest)
    )`.execute(db)

  // `raw` is the upstream line byte for byte (text, not json: nothing re-encodes it).
  // `seq` gives the stable read order; `occurred_at` is the event's timestamp (or its arrival).
  await sql`
    create table events (
      source_id bigint not null references sources (id) on delete cascade,
      event_id text not null,
      seq bigint generated always as identity,
      event_type text not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null default now(),
      file_id text not null,
      metadata_id bigint not null references event_metadata (id),
      raw text not null,
      primary key (source_id, event_id)
    )`.execute(db)
  await sql`create index events_source_seq on events (source_id, seq)`.execute(db)
  await sql`create index events_occurred_at on events (occurred_at)`.execute(db)

  await sql`
    create table source_runs (
      id bigint generated always as identity primary key,
      source_id bigint not null references sources (id) on delete cascade,
      generation bigint not null,
      owner text not null,
      status text not null default 'running',
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      files integer not null default 0,
      events_stored bigint not null default 0,
      duplicates_skipped bigint not null default 0,
      quarantined bigint not null default 0,
      errors json not null default '[]'
    )`.execute(db)
  await sql`create index source_runs_source on source_runs (source_id, id desc)`.execute(db)

  await sql`
    create table quarantined_records (
      source_id bigint not null references sources (id) on delete cascade,
      file_id text not null,
      line_number integer not null,
      event_type text not null,
      reason text not null,
      raw text not null,
      raw_bytes integer not null,
      created_at timestamptz not null default now(),
      primary key (source_id, file_id, line_number)
    )`.execute(db)
}
