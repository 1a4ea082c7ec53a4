// All SQL that reads the event store (the read API) and prunes it (retention, which also keeps the
// per-source quarantine count in source_leases in step).
import { type Kysely, sql } from 'kysely'
import { isoMicros } from './sql-time.js'
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

/** Joins `s` (sources) to each destination `d` whose collector and source filters match it. */
const matchingSources = sql`
  join sources s on (json_array_length(coalesce(d.filter->'collectorIds', '[]'::json)) = 0
                     or s.collector_id in (select json_array_elements_text(d.filter->'collectorIds')::bigint))
                and (json_array_length(coalesce(d.filter->'sourceIds', '[]'::json)) = 0
                     or s.id in (select json_array_elements_text(d.filter->'sourceIds')::bigint))`

export class EventsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Events in store order (`seq`), after an opaque cursor; one more row than asked tells if there is a next page. */
  async page(sourceId: number, afterSeq: number, limit: number): Promise<{ events: StoredEvent[]; next: number | null }> {
    const result = await sql<{ event_id: string; seq: number; event_type: string; ts: string; received: string; metadata: Record<string, unknown>; raw: string }>`
      select e.event_id, e.seq, e.event_type,
             ${isoMicros('e.occurred_at')} as ts,
             ${isoMicros('e.received_at')} as received,
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
             ${isoMicros('started_at')} as started,
             ${isoMicros('finished_at')} as finished
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
             ${isoMicros('created_at')} as at
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
   *
   * Retention waits for delivery: an event an enabled destination has not delivered yet (above its
   * cursor on the event's source, for every destination whose collector and source filters match) or
   * holds as a dead letter stays. Its type and category filters are not applied here: a destination's
   * cursor passes over the events they skip as it catches up, so holding them until then is enough.
   */
  async prune(retentionDays: number, signal?: AbortSignal): Promise<{ events: number; quarantined: number; runs: number }> {
    const cutoff = sql`now() - ${retentionDays} * interval '1 day'`
    let events = 0
    for (;;) {
      const result = await sql`
        with holds as (
          select s.id as source_id, min(coalesce(c.delivered_seq, d.start_seq)) as hold
          from destinations d ${matchingSources} left join destination_cursors c on c.destination_id = d.id and c.source_id = s.id
          where d.enabled group by s.id
        )
        delete from events where ctid in (
          select e.ctid from events e left join holds h on h.source_id = e.source_id
          where e.received_at < ${cutoff} and (h.hold is null or e.seq <= h.hold)
            and not exists (
              select 1 from dead_letters l join destinations d on d.id = l.destination_id and d.enabled
              where l.source_id = e.source_id and l.event_id = e.event_id)
          limit ${PRUNE_BATCH})`.execute(this.db)
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

  /**
   * Per enabled destination: events past the retention period kept only because of it, not yet
   * delivered (above its cursor) or held as its dead letters.
   */
  async heldByDestinations(retentionDays: number): Promise<Map<number, number>> {
    const cutoff = sql`now() - ${retentionDays} * interval '1 day'`
    const result = await sql<{ id: number; n: number }>`
      select id, sum(n) as n from (
        select d.id, count(e.seq) as n
        from destinations d ${matchingSources}
        left join destination_cursors c on c.destination_id = d.id and c.source_id = s.id
        join events e on e.source_id = s.id and e.seq > coalesce(c.delivered_seq, d.start_seq) and e.received_at < ${cutoff}
        where d.enabled group by d.id
        union all
        select d.id, count(e.seq) as n
        from destinations d join dead_letters l on l.destination_id = d.id
        join events e on e.source_id = l.source_id and e.event_id = l.event_id and e.received_at < ${cutoff}
        left join destination_cursors c on c.destination_id = d.id and c.source_id = e.source_id
        where d.enabled and e.seq <= coalesce(c.delivered_seq, d.start_seq)
        group by d.id
      ) held group by id`.execute(this.db)
    return new Map(result.rows.map((r) => [Number(r.id), Number(r.n)]))
  }
}
