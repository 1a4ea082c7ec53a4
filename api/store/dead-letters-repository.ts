// Dead letters (what a receiver refused for good, with its reason) and replays (sending the dead
// letters, or a stored time range, again). A replay keeps how far it got, so a restart goes on from
// there; the dead letters it delivers leave the list in the transaction that records the delivery.
import { type Kysely, sql } from 'kysely'
import type { LeaseHandle, Leases } from './leases-repository.js'
import type { EventSelection, StoredEventOut } from './delivery-repository.js'
import { isoMicros } from './sql-time.js'
import type { Tables } from './tables.js'

export interface DeadLetterRow {
  id: number
  eventId: string
  sourceId: number
  reason: string
  at: string
}

export interface Replay {
  id: number
  kind: 'deadLetters' | 'range'
  fromAt: Date | null
  toAt: Date | null
  afterId: number
  afterSeq: number
}

/** A replay's next events, each with what it needs to be sent and resolved. */
export interface ReplayEvent extends StoredEventOut {
  sourceId: number
  sourceType: string
  /** The dead letter it comes from (dead-letter replays). */
  deadLetterId?: number
}

export class DeadLettersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly leases: Leases,
  ) {}

  /** A page in the order they were recorded; `afterId` is the previous page's last id. */
  async list(destinationId: number, afterId: number, limit: number): Promise<{ rows: DeadLetterRow[]; next: number | null }> {
    const result = await sql<{ id: number; event_id: string; source_id: number; reason: string; at: string }>`
      select id, event_id, source_id, reason, ${isoMicros('at')} as at from dead_letters
      where destination_id = ${destinationId} and id > ${afterId} order by id limit ${limit + 1}`.execute(this.db)
    const rows = result.rows.slice(0, limit).map((r) => ({ id: Number(r.id), eventId: r.event_id, sourceId: Number(r.source_id), reason: r.reason, at: r.at }))
    return { rows, next: result.rows.length > limit ? rows[rows.length - 1]!.id : null }
  }

  async count(destinationId: number): Promise<number> {
    const result = await sql<{ n: number }>`select count(*) as n from dead_letters where destination_id = ${destinationId}`.execute(this.db)
    return Number(result.rows[0]!.n)
  }

  /** Every destination's dead letters, for /metrics. */
  async counts(): Promise<Map<number, number>> {
    const result = await sql<{ destination_id: number; n: number }>`select destination_id, count(*) as n from dead_letters group by destination_id`.execute(this.db)
    return new Map(result.rows.map((r) => [Number(r.destination_id), Number(r.n)]))
  }

  async requestReplay(destinationId: number, replay: { kind: 'deadLetters' } | { kind: 'range'; from: Date; to: Date }): Promise<number> {
    const result = await sql<{ id: number }>`
      insert into destination_replays (destination_id, kind, from_at, to_at)
      values (${destinationId}, ${replay.kind}, ${replay.kind === 'range' ? replay.from : null}, ${replay.kind === 'range' ? replay.to : null})
      returning id`.execute(this.db)
    return Number(result.rows[0]!.id)
  }

  async nextReplay(destinationId: number): Promise<Replay | undefined> {
    const row = await this.db.selectFrom('destination_replays').selectAll().where('destination_id', '=', destinationId).orderBy('id').limit(1).executeTakeFirst()
    if (!row) return undefined
    return { id: Number(row.id), kind: row.kind === 'range' ? 'range' : 'deadLetters', fromAt: row.from_at, toAt: row.to_at, afterId: Number(row.after_id), afterSeq: Number(row.after_seq) }
  }

  /**
   * The replay's next events, at most `maxEvents` and `maxBytes` of raw text (at least one). Dead
   * letters whose event is no longer stored come back without their text (`raw` empty), so that they
   * can be resolved with a reason instead of blocking the replay.
   */
  async readReplay(destinationId: number, replay: Replay, selection: EventSelection, limits: { maxEvents: number; maxBytes: number }): Promise<ReplayEvent[]> {
    const rows =
      replay.kind === 'deadLetters'
        ? await sql<ReplayRow>`
            select d.id as dead_letter_id, d.source_id, s.schema_type, d.seq, d.event_id, e.event_type, ${isoMicros('e.occurred_at')} as ts,
                   ${isoMicros('e.received_at')} as received, m.metadata::text as metadata, coalesce(e.raw, '') as raw
            from dead_letters d join sources s on s.id = d.source_id
            left join events e on e.source_id = d.source_id and e.event_id = d.event_id
            left join event_metadata m on m.id = e.metadata_id
            where d.destination_id = ${destinationId} and d.id > ${replay.afterId}
            order by d.id limit ${limits.maxEvents}`.execute(this.db)
        : await sql<ReplayRow>`
            select null as dead_letter_id, e.source_id, s.schema_type, e.seq, e.event_id, e.event_type, ${isoMicros('e.occurred_at')} as ts,
                   ${isoMicros('e.received_at')} as received, m.metadata::text as metadata, e.raw
            from events e join sources s on s.id = e.source_id join event_metadata m on m.id = e.metadata_id
            where e.seq > ${replay.afterSeq} and e.received_at >= ${replay.fromAt} and e.received_at < ${replay.toAt}
              and (cardinality(${selection.collectorIds}::bigint[]) = 0 or s.collector_id = any(${selection.collectorIds}::bigint[]))
              and (cardinality(${selection.sourceIds}::bigint[]) = 0 or s.id = any(${selection.sourceIds}::bigint[]))
              and (cardinality(${selection.eventTypes}::text[]) = 0 or e.event_type = any(${selection.eventTypes}::text[]))
              and (${selection.categoryLike ?? null}::text is null or (m.metadata->>'_sourceCategory') like ${selection.categoryLike ?? null}::text)
            order by e.seq limit ${limits.maxEvents}`.execute(this.db)
    const events: ReplayEvent[] = []
    let bytes = 0
    for (const r of rows.rows) {
      if (events.length > 0 && bytes + r.raw.length > limits.maxBytes) break
      bytes += r.raw.length
      events.push({
        seq: Number(r.seq),
        id: r.event_id,
        type: r.event_type ?? '',
        timestamp: r.ts ?? '',
        receivedAt: r.received ?? '',
        metadataJson: r.metadata ?? '{}',
        raw: r.raw,
        sourceId: Number(r.source_id),
        sourceType: r.schema_type,
        ...(r.dead_letter_id !== null ? { deadLetterId: Number(r.dead_letter_id) } : {}),
      })
    }
    return events
  }

  /**
   * Records a replayed batch, fenced: the delivered dead letters leave the list, refused events are
   * (again) dead letters with the new reason, and the replay moves past the batch, or ends.
   */
  async commitReplay(
    lease: LeaseHandle,
    replay: Replay,
    outcome: { delivered: ReplayEvent[]; refused: { event: ReplayEvent; reason: string }[]; finished: boolean },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      const deliveredLetters = outcome.delivered.filter((e) => e.deadLetterId !== undefined).map((e) => e.deadLetterId!)
      if (deliveredLetters.length > 0) await sql`delete from dead_letters where id = any(${deliveredLetters}::bigint[])`.execute(trx)
      for (const { event, reason } of outcome.refused) {
        await sql`
          insert into dead_letters (destination_id, source_id, event_id, seq, reason) values (${lease.id}, ${event.sourceId}, ${event.id}, ${event.seq}, ${reason})
          on conflict (destination_id, source_id, event_id) do update set reason = excluded.reason, at = now()`.execute(trx)
      }
      const all = [...outcome.delivered, ...outcome.refused.map((r) => r.event)]
      if (outcome.finished) await sql`delete from destination_replays where id = ${replay.id}`.execute(trx)
      else if (all.length > 0) {
        const afterId = Math.max(replay.afterId, ...all.map((e) => e.deadLetterId ?? 0))
        const afterSeq = Math.max(replay.afterSeq, ...all.map((e) => e.seq))
        await sql`update destination_replays set after_id = ${afterId}, after_seq = ${afterSeq} where id = ${replay.id}`.execute(trx)
      }
      if (outcome.delivered.length > 0) {
        await sql`
          update destination_leases set delivered_total = delivered_total + ${outcome.delivered.length}, last_success_at = now(), consecutive_failures = 0
          where destination_id = ${lease.id}`.execute(trx)
      }
    })
  }
}

interface ReplayRow {
  dead_letter_id: number | null
  source_id: number
  schema_type: string
  seq: number
  event_id: string
  event_type: string | null
  ts: string | null
  received: string | null
  metadata: string | null
  raw: string
}
