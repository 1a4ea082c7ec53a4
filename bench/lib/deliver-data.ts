// The stored backlog of `npm run bench:deliver`: one collector and one source with BENCH_EVENTS events
// of about 1 KiB, written straight into a fresh database (the service is not running yet), as
// collection would have stored them. The source has no lease row, so the service never runs it:
// the benchmark measures delivery alone.
import { sql } from 'kysely'
import { openDatabase } from '../../api/store/database.js'
import { migrateToLatest } from '../../api/store/migrator.js'
import type { TestDatabaseLocation } from '../../test/helpers/db.js'

export interface Backlog {
  sourceId: number
  events: number
  /** Bytes of the stored events' text. */
  bytes: number
}

export async function storeBacklog(location: TestDatabaseLocation, events: number): Promise<Backlog> {
  const database = await openDatabase({ databaseUrl: location.databaseUrl, pgliteDir: location.pgliteDir })
  try {
    await migrateToLatest(database.db)
    const db = database.db
    const collector = await sql<{ id: number }>`insert into collectors (name, time_zone, fields) values ('bench', 'UTC', '{}') returning id`.execute(db)
    const config = { name: 'bench', category: 'bench/deliver', workspaceID: 'bench', apiKey: '********' }
    const source = await sql<{ id: number }>`
      insert into sources (collector_id, name, schema_type, config, state)
      values (${collector.rows[0]!.id}, 'bench', 'ChatGPT Compliance', ${JSON.stringify(config)}, 'Collecting') returning id`.execute(db)
    const sourceId = Number(source.rows[0]!.id)
    const metadata = await sql<{ id: number }>`
      insert into event_metadata (source_id, digest, metadata)
      values (${sourceId}, 'bench', '{"_source":"bench","_sourceCategory":"bench/deliver","_collector":"bench","team":"security"}') returning id`.execute(db)
    // In chunks, so PGlite's single session never holds one enormous statement.
    for (let from = 1; from <= events; from += 20_000) {
      const to = Math.min(events, from + 19_999)
      await sql`
        insert into events (source_id, event_id, event_type, occurred_at, origin, metadata_id, raw)
        select ${sourceId}, 'bench-' || g, 'AUDIT_LOG', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 millisecond', 'bench', ${metadata.rows[0]!.id},
               '{"event_id":"bench-' || g || '","type":"AUDIT_LOG","timestamp":"2026-01-01T00:00:00.000000Z","actor":{"type":"user","user_id":"user-' ||
               (g % 1000) || '"},"action":"login","payload":"' || repeat(md5(g::text), 28) || '"}'
        from generate_series(${from}::int, ${to}::int) as g`.execute(db)
    }
    const size = await sql<{ bytes: number }>`select sum(octet_length(raw)) as bytes from events where source_id = ${sourceId}`.execute(db)
    return { sourceId, events, bytes: Number(size.rows[0]!.bytes) }
  } finally {
    await database.close()
  }
}
