// All SQL of delivering stored events to a destination: which sources its filter matches, reading a
// batch after a source's cursor, and the fenced transactions that move the cursor together with what
// the receiver answered (dead letters, the kind's own state), the batches awaiting acknowledgement,
// and the delivery health shown by the API.
//
// A cursor is per destination and source over the source's `seq`: a source's events commit in seq
// order (one run at a time, fenced by its lease), so every event above a cursor is yet to come or
// already visible. Across sources events commit in any order, which a single cursor would skip.
import { type Kysely, sql } from 'kysely'
import type { LeaseHandle, Leases } from './leases-repository.js'
import { isoMicros } from './sql-time.js'
import type { Tables } from './tables.js'

/** The filter as SQL needs it: ids, expanded event type names, a LIKE pattern. */
export interface EventSelection {
  collectorIds: number[]
  sourceIds: number[]
  /** Stored type names; empty means every type. */
  eventTypes: string[]
  /** A LIKE pattern (with `\` escapes) on the event's `_sourceCategory`, or undefined for any. */
  categoryLike: string | undefined
}

export interface SourceCursor {
  sourceId: number
  sourceType: string
  /** Everything at or below is handled. */
  deliveredSeq: number
  /** Batches above the cursor already sent and awaiting acknowledgement end here (else = deliveredSeq). */
  sentSeq: number
}

/** A stored event as delivery reads it: the texts as stored, ready to be written out. */
export interface StoredEventOut {
  seq: number
  sourceId: number
  /** The source type's name (with `id`, what a receiver's stable id is made of). */
  sourceType: string
  /** The upstream event id. */
  id: string
  type: string
  /** RFC 3339, UTC, microseconds. */
  timestamp: string
  receivedAt: string
  /** The metadata object's JSON text (_source, _sourceCategory, _collector, fields), as stored. */
  metadataJson: string
  /** The upstream record's JSON text, as stored. */
  raw: string
}

export interface BatchRead {
  events: StoredEventOut[]
  /**
   * The source's highest seq when the batch was read (same snapshot). When the batch holds every
   * matching event up to it, the cursor may move there: the events in between did not match.
   */
  highSeq: number
  /** The batch stopped at a limit; more matching events wait. */
  full: boolean
}

export interface DeadLetterToStore {
  eventId: string
  seq: number
  reason: string
}

export interface PendingBatch {
  sourceId: number
  fromSeq: number
  toSeq: number
  /** Events in the batch (counted as delivered once it is acknowledged). */
  events: number
  ackId: string
  sentAt: Date
  acked: boolean
}

export class DeliveryRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    /** The destination leases, for the fence. */
    private readonly leases: Leases,
  ) {}

  /** The sources the filter matches, with the destination's cursor on each, oldest source first. */
  async sourceCursors(destinationId: number, startSeq: number, selection: EventSelection): Promise<SourceCursor[]> {
    const result = await sql<{ id: number; schema_type: string; delivered: number; sent: number }>`
      select s.id, s.schema_type, coalesce(c.delivered_seq, ${startSeq}) as delivered,
             greatest(coalesce(c.delivered_seq, ${startSeq}), coalesce(p.sent, 0)) as sent
      from sources s
      left join destination_cursors c on c.destination_id = ${destinationId} and c.source_id = s.id
      left join (select source_id, max(to_seq) as sent from destination_pending where destination_id = ${destinationId} group by source_id) p
        on p.source_id = s.id
      where (cardinality(${selection.collectorIds}::bigint[]) = 0 or s.collector_id = any(${selection.collectorIds}::bigint[]))
        and (cardinality(${selection.sourceIds}::bigint[]) = 0 or s.id = any(${selection.sourceIds}::bigint[]))
      order by s.id`.execute(this.db)
    return result.rows.map((r) => ({ sourceId: Number(r.id), sourceType: r.schema_type, deliveredSeq: Number(r.delivered), sentSeq: Number(r.sent) }))
  }

  /**
   * The matching events of a source after `afterSeq` (and up to `toSeq`, for a resend), in seq order:
   * at most `maxEvents`, and at most `maxBytes` of raw text (always at least one event). One
   * statement, so `highSeq` comes from the same snapshot as the events. The events are read alone, by
   * the (source_id, seq) index up to the limit, and joined to their few metadata rows afterwards:
   * joined first, the planner read every event above the cursor to sort them (30 ms a batch for a
   * backlog of 15 000, growing with it).
   */
  async readBatch(source: { sourceId: number; sourceType: string }, afterSeq: number, selection: EventSelection, limits: { maxEvents: number; maxBytes: number; toSeq?: number }): Promise<BatchRead> {
    const { sourceId, sourceType } = source
    const result = await this.db.transaction().execute(async (trx) => {
      // Without statistics (a backlog stored faster than autovacuum analyses it, and always on the
      // embedded database, which has no autovacuum) the planner expects a few hundred rows above the
      // cursor and reads them all with a bitmap scan to sort them: 38 ms a batch over a backlog of
      // 15 000 events, growing with the backlog, against 2.5 ms by the index.
      await sql`set local enable_bitmapscan = off`.execute(trx)
      await sql`set local enable_seqscan = off`.execute(trx)
      return sql<BatchRow>`
      with hi as (select coalesce(max(seq), 0) as high from events where source_id = ${sourceId}),
      meta as (
        select id, metadata::text as metadata from event_metadata
        where source_id = ${sourceId} and (${selection.categoryLike ?? null}::text is null or (metadata->>'_sourceCategory') like ${selection.categoryLike ?? null}::text)
      ),
      picked as (
        select e.seq, e.event_id, e.event_type, e.occurred_at, e.received_at, e.metadata_id, e.raw
        from events e
        where e.source_id = ${sourceId} and e.seq > ${afterSeq}
          ${limits.toSeq !== undefined ? sql`and e.seq <= ${limits.toSeq}` : sql``}
          and (cardinality(${selection.eventTypes}::text[]) = 0 or e.event_type = any(${selection.eventTypes}::text[]))
          and e.metadata_id = any(array(select id from meta))
        order by e.seq
        limit ${limits.maxEvents + 1}
      )
      select p.seq, p.event_id, p.event_type, ${isoMicros('p.occurred_at')} as ts, ${isoMicros('p.received_at')} as received,
             m.metadata, p.raw, hi.high,
             coalesce(sum(octet_length(p.raw)) over (order by p.seq rows between unbounded preceding and 1 preceding), 0) as bytes_before
      from hi left join (picked p join meta m on m.id = p.metadata_id) on true
      order by p.seq`.execute(trx)
    })
    // One row with no event when nothing matched: highSeq still comes from this statement's snapshot.
    // Read apart, it could count events committed after the batch was read, and the cursor would
    // pass them unsent.
    const high = Number(result.rows[0]!.high)
    const rows = result.rows.filter((r) => r.seq !== null)
    const events: StoredEventOut[] = []
    let full = false
    for (const r of rows) {
      if (events.length === limits.maxEvents || (events.length > 0 && Number(r.bytes_before) >= limits.maxBytes)) {
        full = true
        break
      }
      events.push({ seq: Number(r.seq), sourceId, sourceType, id: r.event_id, type: r.event_type, timestamp: r.ts, receivedAt: r.received, metadataJson: r.metadata, raw: r.raw })
    }
    return { events, highSeq: high, full }
  }

  /**
   * Records a batch as handled, in one fenced transaction: the source's cursor moves to `toSeq`, the
   * refused events become dead letters, the counters and the last success move, and the kind's state
   * (when it has one) is saved with them. A worker that lost its lease commits nothing.
   */
  async commitBatch(
    lease: LeaseHandle,
    batch: { sourceId: number; toSeq: number; delivered: number; deadLetters: DeadLetterToStore[]; kindState?: unknown },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await sql`
        insert into destination_cursors (destination_id, source_id, delivered_seq) values (${lease.id}, ${batch.sourceId}, ${batch.toSeq})
        on conflict (destination_id, source_id) do update set delivered_seq = greatest(destination_cursors.delivered_seq, excluded.delivered_seq)`.execute(trx)
      await insertDeadLetters(trx, lease.id, batch.sourceId, batch.deadLetters)
      await sql`
        update destination_leases
        set delivered_total = delivered_total + ${batch.delivered},
            last_success_at = case when ${batch.delivered + batch.deadLetters.length} > 0 then now() else last_success_at end,
            consecutive_failures = 0
            ${batch.kindState !== undefined ? sql`, kind_state = ${JSON.stringify(batch.kindState)}` : sql``}
        where destination_id = ${lease.id}`.execute(trx)
    })
  }

  /** Dead letters recorded without moving the cursor (their batch's cursor moves when it is acknowledged). */
  async addDeadLetters(lease: LeaseHandle, sourceId: number, letters: DeadLetterToStore[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await insertDeadLetters(trx, lease.id, sourceId, letters)
    })
  }

  async sourceType(sourceId: number): Promise<string> {
    const row = await this.db.selectFrom('sources').select('schema_type').where('id', '=', sourceId).executeTakeFirst()
    return row?.schema_type ?? ''
  }

  /** Saves the kind's state alone (a file rotated, a channel chosen), fenced like every delivery write. */
  async saveKindState(lease: LeaseHandle, kindState: unknown): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await sql`update destination_leases set kind_state = ${JSON.stringify(kindState)} where destination_id = ${lease.id}`.execute(trx)
    })
  }

  async kindState(destinationId: number): Promise<unknown> {
    const row = await this.db.selectFrom('destination_leases').select('kind_state').where('destination_id', '=', destinationId).executeTakeFirst()
    return row?.kind_state ?? undefined
  }

  /** A failed attempt: counted on the lease row, where the API reads it. */
  async recordFailure(lease: LeaseHandle): Promise<number> {
    const result = await sql<{ n: number }>`
      update destination_leases set consecutive_failures = consecutive_failures + 1
      where destination_id = ${lease.id} and lease_owner = ${lease.owner} and generation = ${lease.generation}
      returning consecutive_failures as n`.execute(this.db)
    return Number(result.rows[0]?.n ?? 0)
  }

  // --- batches awaiting acknowledgement ---------------------------------------------------------

  async pending(destinationId: number): Promise<PendingBatch[]> {
    const rows = await this.db.selectFrom('destination_pending').selectAll().where('destination_id', '=', destinationId).orderBy('source_id').orderBy('to_seq').execute()
    return rows.map((r) => ({ sourceId: Number(r.source_id), fromSeq: Number(r.from_seq), toSeq: Number(r.to_seq), events: Number(r.events), ackId: r.ack_id, sentAt: r.sent_at, acked: r.acked }))
  }

  /** A batch the receiver took and will acknowledge later (or, resent, its new acknowledgement id). */
  async savePending(lease: LeaseHandle, batch: { sourceId: number; fromSeq: number; toSeq: number; events: number; ackId: string }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      await sql`
        insert into destination_pending (destination_id, source_id, from_seq, to_seq, events, ack_id)
        values (${lease.id}, ${batch.sourceId}, ${batch.fromSeq}, ${batch.toSeq}, ${batch.events}, ${batch.ackId})
        on conflict (destination_id, source_id, to_seq) do update set ack_id = excluded.ack_id, sent_at = now(), acked = false`.execute(trx)
    })
  }

  /**
   * Marks acknowledged batches, then moves each source's cursor over its leading run of acknowledged
   * batches (a later batch acknowledged first waits for the ones before it), all in one fenced
   * transaction. Returns how many events that delivered.
   */
  async acknowledge(lease: LeaseHandle, acked: { sourceId: number; toSeq: number }[]): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      for (const a of acked) {
        await sql`update destination_pending set acked = true where destination_id = ${lease.id} and source_id = ${a.sourceId} and to_seq = ${a.toSeq}`.execute(trx)
      }
      const rows = await trx
        .selectFrom('destination_pending')
        .select(['source_id', 'from_seq', 'to_seq', 'acked'])
        .where('destination_id', '=', lease.id)
        .orderBy('source_id')
        .orderBy('to_seq')
        .execute()
      let delivered = 0
      const bySource = new Map<number, typeof rows>()
      for (const r of rows) bySource.set(Number(r.source_id), [...(bySource.get(Number(r.source_id)) ?? []), r])
      for (const [sourceId, batches] of bySource) {
        let upTo: number | undefined
        for (const b of batches) {
          if (!b.acked) break
          upTo = Number(b.to_seq)
        }
        if (upTo === undefined) continue
        const done = await sql<{ events: number }>`
          delete from destination_pending where destination_id = ${lease.id} and source_id = ${sourceId} and to_seq <= ${upTo}
          returning events`.execute(trx)
        delivered += done.rows.reduce((n, r) => n + Number(r.events), 0)
        await sql`
          insert into destination_cursors (destination_id, source_id, delivered_seq) values (${lease.id}, ${sourceId}, ${upTo})
          on conflict (destination_id, source_id) do update set delivered_seq = greatest(destination_cursors.delivered_seq, excluded.delivered_seq)`.execute(trx)
      }
      if (delivered > 0) {
        await sql`
          update destination_leases set delivered_total = delivered_total + ${delivered}, last_success_at = now(), consecutive_failures = 0
          where destination_id = ${lease.id}`.execute(trx)
      }
      return delivered
    })
  }

  // --- health -------------------------------------------------------------------------------------

  /**
   * Matching events above the cursors: how many (counted up to `countCap`, so a huge backlog costs a
   * bounded scan) and how long the oldest has waited.
   */
  async lag(destinationId: number, startSeq: number, selection: EventSelection, countCap = 10_000_000): Promise<{ events: number; oldestReceivedAt: Date | null }> {
    const result = await sql<{ n: number; oldest: Date | null }>`
      with cursors as (
        select s.id as source_id, coalesce(c.delivered_seq, ${startSeq}) as delivered
        from sources s left join destination_cursors c on c.destination_id = ${destinationId} and c.source_id = s.id
        where (cardinality(${selection.collectorIds}::bigint[]) = 0 or s.collector_id = any(${selection.collectorIds}::bigint[]))
          and (cardinality(${selection.sourceIds}::bigint[]) = 0 or s.id = any(${selection.sourceIds}::bigint[]))
      ), waiting as (
        select e.received_at from cursors k
        join events e on e.source_id = k.source_id and e.seq > k.delivered
        join event_metadata m on m.id = e.metadata_id
        where (cardinality(${selection.eventTypes}::text[]) = 0 or e.event_type = any(${selection.eventTypes}::text[]))
          and (${selection.categoryLike ?? null}::text is null or (m.metadata->>'_sourceCategory') like ${selection.categoryLike ?? null}::text)
        limit ${countCap}
      )
      select count(*) as n, min(received_at) as oldest from waiting`.execute(this.db)
    const row = result.rows[0]!
    return { events: Number(row.n), oldestReceivedAt: row.oldest ? new Date(row.oldest) : null }
  }
}

async function insertDeadLetters(trx: Kysely<Tables>, destinationId: number, sourceId: number, letters: DeadLetterToStore[]): Promise<void> {
  if (letters.length === 0) return
  // Refused again on a replay: the newest reason and time win, one row per event.
  await sql`
    insert into dead_letters (destination_id, source_id, event_id, seq, reason)
    select ${destinationId}, ${sourceId}, d.event_id, d.seq, d.reason
    from unnest(${letters.map((l) => l.eventId)}::text[], ${letters.map((l) => l.seq)}::bigint[], ${letters.map((l) => l.reason)}::text[]) as d(event_id, seq, reason)
    on conflict (destination_id, source_id, event_id) do update set reason = excluded.reason, at = now(), seq = excluded.seq`.execute(trx)
}

/** A row of readBatch's statement; the event's columns are null on the row that only carries `high`. */
type BatchRow = { seq: number | null; event_id: string; event_type: string; ts: string; received: string; metadata: string; raw: string; high: number; bytes_before: number }
