// Reads what a service process stored, straight from its database rather than through the API, so a
// duplicate row or a run's owner is visible. Embedded PGlite allows one process per directory: read
// it only after the service has stopped. Postgres can be read at any time.
import path from 'node:path'
import { sql } from 'kysely'
import { type Database, openDatabase } from '../../../api/store/database.js'
import type { RunningService } from '../../helpers/service.js'

export interface StoredEvents {
  /** Distinct event_ids. */
  ids: Set<string>
  /** Rows in the events table; more rows than ids would be duplicates. */
  rows: number
  /** event_id → rows, for ids stored more than once (the primary key should make this empty). */
  duplicated: Map<string, number>
}

export interface StoredRun {
  id: number
  sourceId: number
  generation: number
  owner: string
  status: string
  startedAt: Date
  finishedAt: Date | null
  origins: number
  eventsStored: number
  duplicatesSkipped: number
  quarantined: number
  errors: { at: string; type: string; message: string }[]
}

export async function openServiceDatabase(service: Pick<RunningService, 'location' | 'dataDir'>): Promise<Database> {
  return openDatabase(
    service.location.databaseUrl ? { databaseUrl: service.location.databaseUrl, poolSize: 2 } : { pgliteDir: path.join(service.dataDir, 'pgdata') },
  )
}

export async function readStoredEvents(database: Database, sourceId: number): Promise<StoredEvents> {
  const rows = await database.db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).execute()
  const counts = new Map<string, number>()
  for (const r of rows) counts.set(r.event_id, (counts.get(r.event_id) ?? 0) + 1)
  return { ids: new Set(counts.keys()), rows: rows.length, duplicated: new Map([...counts].filter(([, n]) => n > 1)) }
}

/** Every run of the sources, oldest first. */
export async function readRuns(database: Database, sourceIds?: number[]): Promise<StoredRun[]> {
  const result = await sql<{
    id: number
    source_id: number
    generation: number
    owner: string
    status: string
    started_at: Date
    finished_at: Date | null
    origins: number
    events_stored: number
    duplicates_skipped: number
    quarantined: number
    errors: { at: string; type: string; message: string }[] | null
  }>`select id, source_id, generation, owner, status, started_at, finished_at, origins, events_stored, duplicates_skipped, quarantined, errors
     from source_runs ${sourceIds ? sql`where source_id = any(${sourceIds}::bigint[])` : sql``} order by id`.execute(database.db)
  return result.rows.map((r) => ({
    id: Number(r.id),
    sourceId: Number(r.source_id),
    generation: Number(r.generation),
    owner: r.owner,
    status: r.status,
    startedAt: new Date(r.started_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
    origins: Number(r.origins),
    eventsStored: Number(r.events_stored),
    duplicatesSkipped: Number(r.duplicates_skipped),
    quarantined: Number(r.quarantined),
    errors: r.errors ?? [],
  }))
}
