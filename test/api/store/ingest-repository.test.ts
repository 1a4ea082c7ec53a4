// The ingest repository's batch commit, on whichever database the suite runs on: what it stores for
// quarantined records (one row per record, NUL made storable) and the schema it relies on.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../api/store/database.js'
import { createMigrator } from '../../../api/store/migrator.js'
import { type Batch, IngestRepository } from '../../../api/store/ingest-repository.js'
import { type LeaseHandle } from '../../../api/store/leases-repository.js'
import { createTestDatabaseLocation } from '../../helpers/db.js'
import { useStore } from '../../helpers/store.js'

const store = useStore('ingest')

/** A new source, claimed: the lease and run every commit needs. */
async function leasedSource(): Promise<{ lease: LeaseHandle; runId: number; metadataId: number }> {
  const source = await store.newSource()
  const lease = await store.claimOnly(source.id, 'ingest-test')
  return { lease, runId: await store.ingest.startRun(lease), metadataId: await store.ingest.metadataId(source.id, { _source: source.name }) }
}

function batch(metadataId: number, parts: Partial<Batch>): Batch {
  return {
    stream: 'AUDIT_LOG',
    origin: 'eclf_test',
    metadataId,
    events: [],
    quarantined: [],
    position: { page: 'p1' },
    originsCompleted: 1,
    newestEventAt: '2026-01-01T00:00:00Z',
    ...parts,
  }
}

describe('IngestRepository.commit', () => {
  it('keeps malformed records at different positions of one origin as separate rows; a replay adds none', async () => {
    const { lease, runId, metadataId } = await leasedSource()
    const b = batch(metadataId, {
      events: [{ eventId: 'a', type: 'AUDIT_LOG', occurredAt: '2026-01-01T00:00:00Z', raw: '{"event_id":"a"}' }],
      quarantined: [
        { position: 'line 3', reason: 'no event_id', raw: '{"no":"id"}', rawBytes: 11 },
        { position: 'line 3, object 2', reason: 'no event_id', raw: '{"event_id":""}', rawBytes: 15 },
        { position: 'line 4', reason: 'not valid JSON', raw: '{', rawBytes: 1 },
      ],
    })
    expect(await store.ingest.commit(lease, runId, b)).toEqual({ stored: 1, duplicates: 0, quarantined: 3 })
    const rows = await store.events.quarantined(lease.id, 100, 0)
    expect(rows.map((r) => [r.stream, r.origin, r.position, r.reason, r.raw, r.rawBytes])).toEqual([
      ['AUDIT_LOG', 'eclf_test', 'line 3', 'no event_id', '{"no":"id"}', 11],
      ['AUDIT_LOG', 'eclf_test', 'line 3, object 2', 'no event_id', '{"event_id":""}', 15],
      ['AUDIT_LOG', 'eclf_test', 'line 4', 'not valid JSON', '{', 1],
    ])
    expect(await store.ingest.loadPosition(lease.id, 'AUDIT_LOG')).toEqual({ page: 'p1' })
    // Re-committing the same records (a file ingested again) stores and counts nothing twice.
    expect(await store.ingest.commit(lease, runId, b)).toEqual({ stored: 0, duplicates: 1, quarantined: 0 })
    expect(await store.events.quarantined(lease.id, 100, 0)).toHaveLength(3)
    expect((await store.leases.view(lease.id))?.quarantinedRecords).toBe(3)
  })

  it('stores a quarantined line holding NUL with each NUL as the \\u0000 escape, and commits the rest of the batch', async () => {
    const { lease, runId, metadataId } = await leasedSource()
    const withNul = '{"event_id":"n","text":"a\u0000b\u0000"}'
    // A valid event whose JSON text escapes a NUL: six ASCII characters, stored byte for byte.
    const escaped = String.raw`{"event_id":"e","text":"a\u0000b"}`
    const b = batch(metadataId, {
      events: [{ eventId: 'e', type: 'AUDIT_LOG', occurredAt: '2026-01-01T00:00:00Z', raw: escaped }],
      quarantined: [{ position: 'line 2', reason: 'not valid JSON', raw: withNul, rawBytes: Buffer.byteLength(withNul) }],
    })
    expect(await store.ingest.commit(lease, runId, b)).toEqual({ stored: 1, duplicates: 0, quarantined: 1 })
    const [row] = await store.events.quarantined(lease.id, 100, 0)
    expect(row).toMatchObject({ position: 'line 2', rawBytes: Buffer.byteLength(withNul) })
    expect(row!.raw).toBe(String.raw`{"event_id":"n","text":"a\u0000b\u0000"}`)
    const page = await store.events.page(lease.id, 0, 10)
    expect(page.events.map((e) => [e.id, e.raw])).toEqual([['e', escaped]])
    expect(JSON.parse(page.events[0]!.raw).text).toBe('a\u0000b')
  })
})

describe('migration 0004', () => {
  it('indexes events by metadata_id (source deletes) and by received_at (retention), no longer by occurred_at', async () => {
    const result = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where tablename = 'events' order by indexname`.execute(store.t.database.db)
    const byName = new Map(result.rows.map((r) => [r.indexname, r.indexdef]))
    expect(byName.get('events_metadata')).toMatch(/\(metadata_id\)$/)
    expect(byName.get('events_received_at')).toMatch(/\(received_at\)$/)
    expect([...byName.keys()].filter((name) => byName.get(name)!.includes('(occurred_at)'))).toEqual([])
  })

  it('gives quarantined records stored before it part 0, under the new key', async () => {
    const location = await createTestDatabaseLocation()
    // The PGlite template is already migrated; this test needs a database at 0003, so on PGlite it
    // starts from an empty directory instead.
    const database = await openDatabase(location.databaseUrl ? { databaseUrl: location.databaseUrl } : { pgliteDir: `${location.pgliteDir}-fresh` })
    try {
      const migrator = createMigrator(database.db)
      expect((await migrator.migrateTo('0003-source-change-notifications')).error).toBeUndefined()
      const db = database.db
      const collector = await db.insertInto('collectors').values({ name: 'old', time_zone: 'UTC', fields: '{}' }).returning('id').executeTakeFirstOrThrow()
      const source = await db
        .insertInto('sources')
        .values({ collector_id: Number(collector.id), name: 'old', schema_type: 'ChatGPT Compliance', config: '{}', state: 'Collecting' })
        .returning('id')
        .executeTakeFirstOrThrow()
      await sql`
        insert into quarantined_records (source_id, file_id, line_number, event_type, reason, raw, raw_bytes)
        values (${source.id}, 'eclf_old', 7, 'AUDIT_LOG', 'not valid JSON', '{', 1)`.execute(db)
      expect((await migrator.migrateTo('0004-quarantine-parts-and-event-indexes')).error).toBeUndefined()
      const rows = await sql<{ line_number: number; part: number }>`select line_number, part from quarantined_records`.execute(db)
      expect(rows.rows.map((r) => [Number(r.line_number), Number(r.part)])).toEqual([[7, 0]])
      await sql`
        insert into quarantined_records (source_id, file_id, line_number, part, event_type, reason, raw, raw_bytes)
        values (${source.id}, 'eclf_old', 7, 1, 'AUDIT_LOG', 'no event_id', '{}', 2)`.execute(db)
      await expect(
        sql`insert into quarantined_records (source_id, file_id, line_number, part, event_type, reason, raw, raw_bytes)
            values (${source.id}, 'eclf_old', 7, 1, 'AUDIT_LOG', 'no event_id', '{}', 2)`.execute(db),
      ).rejects.toThrow(/duplicate key|unique/)
    } finally {
      await database.close()
      await location.cleanup() // on PGlite this removes the fresh directory too (a sibling of the copy)
    }
  })
})
