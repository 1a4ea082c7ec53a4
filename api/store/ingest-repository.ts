// All SQL of a source run's progress. Every write is one transaction that first takes the lease
// fence, so events, quarantined records, the stream's position and the run's counters move together:
// a crash at any point leaves either all of a batch or none of it, and a worker that lost its lease
// commits nothing. Positions are opaque here: each source type owns their shape.
import crypto from 'node:crypto'
import { CompiledQuery, type Kysely, type Transaction, sql } from 'kysely'
import type { LeaseHandle, LeasesRepository } from './leases-repository.js'
import type { RunError, Tables } from './tables.js'

export interface EventToStore {
  eventId: string
  /** The event's type, e.g. CONVERSATION_MESSAGE. */
  type: string
  occurredAt: string
  raw: string
}

export interface RecordToQuarantine {
  /** Where the record sits within the batch's origin, in the source type's words. */
  position: string
  reason: string
  /** The record's text; NUL characters are stored escaped (see storableRaw). */
  raw: string
  rawBytes: number
}

export interface Batch {
  stream: string
  /** Where the batch's events and records came from (a file, a page); '' when the type has none. */
  origin: string
  metadataId: number
  events: EventToStore[]
  quarantined: RecordToQuarantine[]
  /** The stream's position once this batch is stored. */
  position: unknown
  /** Origins this batch finishes (counted on the run). */
  originsCompleted: number
  newestEventAt: string | undefined
}

export interface BatchResult {
  stored: number
  duplicates: number
  quarantined: number
}

export class IngestRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly leases: LeasesRepository,
  ) {}

  /** The stream's stored position, or undefined before its first commit. */
  async loadPosition(sourceId: number, stream: string): Promise<unknown> {
    const row = await this.db
      .selectFrom('source_progress')
      .select('position')
      .where('source_id', '=', sourceId)
      .where('stream', '=', stream)
      .executeTakeFirst()
    return row?.position
  }

  /** The metadata row for this run's config (stored once per distinct metadata). */
  async metadataId(sourceId: number, metadata: Record<string, unknown>): Promise<number> {
    const json = JSON.stringify(metadata)
    const digest = crypto.createHash('sha256').update(json).digest('hex')
    await this.db
      .insertInto('event_metadata')
      .values({ source_id: sourceId, digest, metadata: json })
      .onConflict((oc) => oc.columns(['source_id', 'digest']).doNothing())
      .execute()
    const row = await this.db
      .selectFrom('event_metadata')
      .select('id')
      .where('source_id', '=', sourceId)
      .where('digest', '=', digest)
      .executeTakeFirstOrThrow()
    return Number(row.id)
  }

  /** Opens the run record, closing any run a crashed holder left open. */
  async startRun(lease: LeaseHandle): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await sql`
        update source_runs set status = 'interrupted', finished_at = now()
        where source_id = ${lease.sourceId} and status = 'running' and generation < ${lease.generation}`.execute(trx)
      const row = await trx
        .insertInto('source_runs')
        .values({ source_id: lease.sourceId, generation: lease.generation, owner: lease.owner, errors: '[]' })
        .returning('id')
        .executeTakeFirstOrThrow()
      return Number(row.id)
    })
  }

  async commit(lease: LeaseHandle, runId: number, batch: Batch): Promise<BatchResult> {
    return this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      let stored = 0
      if (batch.events.length > 0) {
        const result = await trx.executeQuery<{ n: number }>(insertEventsQuery(lease.sourceId, batch))
        stored = Number(result.rows[0]?.n ?? 0)
      }
      let quarantined = 0
      if (batch.quarantined.length > 0) {
        const q = batch.quarantined
        const inserted = await sql<{ n: number }>`
          with ins as (
            insert into quarantined_records (source_id, stream, origin, position, reason, raw, raw_bytes)
            select ${lease.sourceId}, ${batch.stream}, ${batch.origin}, q.position, q.reason, q.raw, q.raw_bytes
            from unnest(${q.map((r) => storableRaw(r.position))}::text[], ${q.map((r) => r.reason)}::text[],
                        ${q.map((r) => storableRaw(r.raw))}::text[], ${q.map((r) => r.rawBytes)}::bigint[]) as q(position, reason, raw, raw_bytes)
            on conflict (source_id, stream, origin, position) do nothing
            returning 1
          )
          select count(*) as n from ins`.execute(trx)
        quarantined = Number(inserted.rows[0]?.n ?? 0)
      }
      const duplicates = batch.events.length - stored
      await upsertPosition(trx, lease.sourceId, batch.stream, batch.position)
      await sql`
        update source_runs
        set origins = origins + ${batch.originsCompleted}, events_stored = events_stored + ${stored},
            duplicates_skipped = duplicates_skipped + ${duplicates}, quarantined = quarantined + ${quarantined}
        where id = ${runId}`.execute(trx)
      if (stored > 0 || quarantined > 0) {
        await sql`
          update source_leases
          set newest_event_at = greatest(newest_event_at, ${batch.newestEventAt ?? null}::timestamptz),
              quarantined_records = quarantined_records + ${quarantined}
          where source_id = ${lease.sourceId}`.execute(trx)
      }
      return { stored, duplicates, quarantined }
    })
  }

  /** Saves a position move that stores nothing (e.g. a page whose items were all stored already). */
  async savePosition(lease: LeaseHandle, stream: string, position: unknown): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await upsertPosition(trx, lease.sourceId, stream, position)
    })
  }

  async finishRun(lease: LeaseHandle, runId: number, status: 'succeeded' | 'failed' | 'interrupted', errors: RunError[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await trx.updateTable('source_runs').set({ status, finished_at: new Date(), errors: JSON.stringify(errors) }).where('id', '=', runId).execute()
    })
  }
}

async function upsertPosition(trx: Transaction<Tables>, sourceId: number, stream: string, position: unknown): Promise<void> {
  const json = JSON.stringify(position)
  await trx
    .insertInto('source_progress')
    .values({ source_id: sourceId, stream, position: json })
    .onConflict((oc) => oc.columns(['source_id', 'stream']).doUpdateSet({ position: json, updated_at: new Date() }))
    .execute()
}

/**
 * Postgres text cannot hold NUL (U+0000): one in a quarantined record would fail the insert, and the
 * batch with it on every retry, leaving the source stuck. A quarantined record is kept for people to
 * read, so each NUL is stored as the six characters `\u0000` (JSON's escape for it); a record that
 * already held that escape reads the same, which is acceptable for a diagnostic copy. (Stored events
 * never hold NUL: source types store valid JSON only, where NUL is always escaped.)
 */
export function storableRaw(raw: string): string {
  return raw.includes('\u0000') ? raw.replaceAll('\u0000', '\\u0000') : raw
}

const insertSqlByRows = new Map<number, string>()

/**
 * One multi-row INSERT with four parameters per event. Passing the raw lines as separate parameters
 * (rather than one text[] array) matters for memory: node-postgres turns an array into a single
 * escaped literal, several MB per batch, which lands in V8's large-object space and is only freed by
 * full collections; measured, that let the heap of a 1 GiB ingestion grow by ~200 MB. The SQL text
 * depends only on the row count, so it is built once per count.
 */
function insertEventsQuery(sourceId: number, batch: Batch): CompiledQuery<{ n: number }> {
  const rows = batch.events.length
  let text = insertSqlByRows.get(rows)
  if (text === undefined) {
    const values: string[] = []
    for (let i = 0; i < rows; i++) values.push(`($${4 + 4 * i}, $${5 + 4 * i}, $${6 + 4 * i}, $${7 + 4 * i})`)
    text =
      'with ins as (insert into events (source_id, event_id, event_type, occurred_at, origin, metadata_id, raw) ' +
      "select $1, v.event_id, v.event_type, v.occurred_at::timestamptz, nullif($2, ''), $3, v.raw " +
      `from (values ${values.join(', ')}) as v(event_id, event_type, occurred_at, raw) ` +
      'on conflict (source_id, event_id) do nothing returning 1) select count(*) as n from ins'
    if (insertSqlByRows.size < 64) insertSqlByRows.set(rows, text)
  }
  const parameters: unknown[] = [sourceId, batch.origin, batch.metadataId]
  for (const e of batch.events) parameters.push(e.eventId, e.type, e.occurredAt, e.raw)
  return CompiledQuery.raw(text, parameters)
}
