// All SQL that reads the event store (the read API) and prunes it (retention, which also keeps the
// per-source quarantine count in source_leases in step).
import { type Kysely, sql } from 'kysely'
import type { RunError, Tables } from './tables.js'

export interface StoredEvent {
  id: string
  seq: number
  type: string
  /** RFC 3339 with microseconds, UTC. */
  timestamp: string
  receivedAt: string
  metadata: Record<string, unknown>
  /** The upstream record's JSON text as it was in the file (without its line ending). */
  raw: string
}

export interface RunRow {
  id: number
  status: string
  startedAt: string
  finishedAt: string | null
  /** Origins (files, pages) the run finished. */
  origins: number
  eventsStored: number
  duplicatesSkipped: number
  quarantined: number
  errors: RunError[]
}

export interface QuarantinedRow {
  stream: string
  origin: string
  /** Where the record sits within its origin, in the source type's words (e.g. "line 12"). */
  position: string
  reason: string
  raw: string
  rawBytes: number
  quarantinedAt: string
}

const PRUNE_BATCH = 10_000
const ISO_MICROS = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

export class EventsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Events in store order (`seq`), after an opaque cursor; one more row than asked tells if there is a next page. */
  async page(sourceId: number, afterSeq: number, limit: number): Promise<{ events: StoredEvent[]; next: number | null }> {
    const result = await sql<{ event_id: string; seq: number; event_type: string; ts: string; received: string; metadata: Record<string, unknown>; raw: string }>`
      select e.event_id, e.seq, e.event_type,
             to_char(e.occurred_at at time zone 'UTC', ${sql.raw(ISO_MICROS)}) as ts,
             to_char(e.received_at at time zone 'UTC', ${sql.raw(ISO_MICROS)}) as received,
             m.metadata, e.raw
      from events e join event_metadata m on m.id = e.metadata_id
      where e.source_id = ${sourceId} and e.seq > ${afterSeq}
      order by e.seq
      limit ${limit + 1}`.execute(this.db)
    const rows = result.rows.slice(0, limit)
    return {
      events: rows.map((r) => ({ id: r.event_id, seq: Number(r.seq), type: r.event_type, timestamp: r.ts, receivedAt: r.received, metadata: r.metadata, raw: r.raw })),
      next: result.rows.length > limit ? Number(rows[rows.length - 1]!.seq) : null,
    }
  }

  async runs(sourceId: number, limit: number): Promise<RunRow[]> {
    const result = await sql<{ id: number; status: string; started: string; finished: string | null; origins: number; events_stored: number; duplicates_skipped: number; quarantined: number; errors: RunError[] }>`
      select id, status, origins, events_stored, duplicates_skipped, quarantined, errors,
             to_char(started_at at time zone 'UTC', ${sql.raw(ISO_MICROS)}) as started,
             to_char(finished_at at time zone 'UTC', ${sql.raw(ISO_MICROS)}) as finished
      from source_runs where source_id = ${sourceId} order by id desc limit ${limit}`.execute(this.db)
    return result.rows.map((r) => ({
      id: Number(r.id),
      status: r.status,
      startedAt: r.started,
      finishedAt: r.finished,
      origins: Number(r.origins),
      eventsStored: Number(r.events_stored),
      duplicatesSkipped: Number(r.duplicates_skipped),
      quarantined: Number(r.quarantined),
      errors: r.errors ?? [],
    }))
  }

  async quarantined(sourceId: number, limit: number, offset: number): Promise<QuarantinedRow[]> {
    const result = await sql<{ stream: string; origin: string; position: string; reason: string; raw: string; raw_bytes: number; at: string }>`
      select stream, origin, position, reason, raw, raw_bytes,
             to_char(created_at at time zone 'UTC', ${sql.raw(ISO_MICROS)}) as at
      from quarantined_records where source_id = ${sourceId}
      order by seq limit ${limit} offset ${offset}`.execute(this.db)
    return result.rows.map((r) => ({
      stream: r.stream,
      origin: r.origin,
      position: r.position,
      reason: r.reason,
      raw: r.raw,
      rawBytes: Number(r.raw_bytes),
      quarantinedAt: r.at,
    }))
  }

  /**
   * Deletes what was stored longer ago than the retention period: events by `received_at` (when we
   * stored them), quarantined records by `created_at`, finished runs by `finished_at`. Not by the
   * event's own timestamp: a late event with an old timestamp would go right after it is stored,
   * and with it its dedupe record (the primary key), so the platform's next redelivery of it would
   * be stored again. Events go in batches so no transaction grows with the table; `signal` stops
   * between batches (shutdown), leaving the rest for the next prune.
   */
  async prune(retentionDays: number, signal?: AbortSignal): Promise<{ events: number; quarantined: number; runs: number }> {
    const cutoff = sql`now() - ${retentionDays} * interval '1 day'`
    let events = 0
    for (;;) {
      const result = await sql`
        delete from events where ctid in (select ctid from events where received_at < ${cutoff} limit ${PRUNE_BATCH})`.execute(this.db)
      const n = Number(result.numAffectedRows ?? 0n)
      events += n
      if (n < PRUNE_BATCH) break
      if (signal?.aborted) return { events, quarantined: 0, runs: 0 }
    }
    // source_leases.quarantined_records counts a source's quarantined records (shown as
    // collection.quarantinedRecords): take the pruned ones off in the same statement. A decrement
    // rather than a recount, so it composes with a run that commits new records concurrently.
    const quarantined = await sql<{ n: number }>`
      with pruned as (
        delete from quarantined_records where created_at < ${cutoff} returning source_id
      ), per_source as (
        select source_id, count(*) as n from pruned group by source_id
      ), counted as (
        update source_leases l set quarantined_records = greatest(l.quarantined_records - p.n, 0)
        from per_source p where l.source_id = p.source_id
      )
      select coalesce(sum(n), 0) as n from per_source`.execute(this.db)
    const runs = await sql`delete from source_runs where finished_at < ${cutoff}`.execute(this.db)
    return { events, quarantined: Number(quarantined.rows[0]?.n ?? 0), runs: Number(runs.numAffectedRows ?? 0n) }
  }
}
