// Quarantined records are keyed by their part too, and the indexes on events follow what deletes
// need: by metadata_id and by received_at in, by occurred_at out.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  // One line may hold several concatenated objects (records.ts). Keyed by line alone, a second
  // malformed object on a line hit the first one's key and was dropped by `on conflict do nothing`.
  // `part` is the object's ordinal within its line; 0 for every row stored before this migration.
  await sql`alter table quarantined_records add column part integer not null default 0`.execute(db)
  await sql`
    alter table quarantined_records
      drop constraint quarantined_records_pkey,
      add primary key (source_id, file_id, line_number, part)`.execute(db)

  // Deleting a source cascades to event_metadata, whose foreign key from events is then checked
  // row by row: without an index on metadata_id that is a full scan of events per metadata row.
  await sql`create index events_metadata on events (metadata_id)`.execute(db)
  // Retention by arrival time (received_at) prunes from the oldest end of this index.
  await sql`create index events_received_at on events (received_at)`.execute(db)
  // Retention used to prune by occurred_at; no query reads by it any more, and every stored event
  // paid for the index.
  await sql`drop index events_occurred_at`.execute(db)
}
