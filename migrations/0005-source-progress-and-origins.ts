// The store stops knowing how a source type reads its upstream. A source's progress becomes an
// opaque position per stream, owned by its type; an event's file becomes an optional origin; a
// quarantined record is keyed by stream, origin and its position within that origin. Existing
// databases carry over: the Logs Platform cursor (after, doneFiles, inProgress) becomes that type's
// position as it is, so a source stopped in the middle of a file resumes at the same record.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table source_progress (
      source_id bigint not null references sources (id) on delete cascade,
      stream text not null,
      position json not null,
      updated_at timestamptz not null default now(),
      primary key (source_id, stream)
    )`.execute(db)
  await sql`
    insert into source_progress (source_id, stream, position, updated_at)
    select source_id, event_type, json_build_object('after', after, 'doneFiles', done_files, 'inProgress', in_progress), updated_at
    from source_cursors`.execute(db)
  await sql`drop table source_cursors`.execute(db)

  await sql`alter table events rename column file_id to origin`.execute(db)
  await sql`alter table events alter column origin drop not null`.execute(db)

  // The Logs Platform's (line, part) becomes its position text: "line 12", or "line 12, object 2"
  // for the second of several objects on one line (part counted from 0, as records.ts does).
  await sql`alter table quarantined_records rename column event_type to stream`.execute(db)
  await sql`alter table quarantined_records rename column file_id to origin`.execute(db)
  await sql`alter table quarantined_records add column position text`.execute(db)
  await sql`
    update quarantined_records
    set position = 'line ' || line_number || case when part > 0 then ', object ' || (part + 1) else '' end`.execute(db)
  await sql`
    alter table quarantined_records
      alter column position set not null,
      drop constraint quarantined_records_pkey,
      drop column line_number,
      drop column part,
      add primary key (source_id, stream, origin, position)`.execute(db)
  // A record's size is counted in 64 bits: an oversized upstream line can pass 2 GiB.
  await sql`alter table quarantined_records alter column raw_bytes type bigint`.execute(db)
  // Read order for the quarantine list, independent of the key's text order.
  await sql`alter table quarantined_records add column seq bigint generated always as identity`.execute(db)
  await sql`create index quarantined_records_source_seq on quarantined_records (source_id, seq)`.execute(db)

  await sql`alter table source_runs rename column files to origins`.execute(db)
  await sql`alter table source_runs alter column origins type bigint`.execute(db)
}
