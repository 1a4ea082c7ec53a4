// Every change to a source or its lease row announces the source id on channel `openc2c_sources`,
// whichever replica (or SQL session) made it. Replicas keep a read cache of sources for GET and
// drop an entry when its id is announced (api/store/source-cache.ts).
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function openc2c_notify_source_change() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'sources' then
        perform pg_notify('openc2c_sources', coalesce(new.id, old.id)::text);
      else
        perform pg_notify('openc2c_sources', coalesce(new.source_id, old.source_id)::text);
      end if;
      return null;
    end
    $$`.execute(db)
  await sql`
    create trigger sources_changed after insert or update or delete on sources
    for each row execute function openc2c_notify_source_change()`.execute(db)
  await sql`
    create trigger source_leases_changed after insert or update or delete on source_leases
    for each row execute function openc2c_notify_source_change()`.execute(db)
}
