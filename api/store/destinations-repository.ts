// All SQL about the stored definition of destinations (config, sealed secrets, filter, state) and what
// their lease rows say about delivery. Delivery progress (cursors, pending acknowledgements, dead
// letters) has its own repository.
import { type Kysely, sql } from 'kysely'
import type { DestinationFilter, DestinationState } from '../../schemas/destination.js'
import { DESTINATION_LEASES, type LeaseHandle, Leases, lockLease } from './leases-repository.js'
import { isUniqueViolation } from './postgres-errors.js'
import type { Tables } from './tables.js'

export interface DestinationValues {
  name: string
  type: string
  enabled: boolean
  /** Config as sent, with secrets masked. */
  config: Record<string, unknown>
  /** Sealed secret values, or null when the config has none. */
  secrets: string | null
  filter: DestinationFilter
  startFrom: 'earliest' | 'now'
}

export interface DestinationRecord extends DestinationValues {
  id: number
  version: number
  state: DestinationState
  /** Where a source's cursor starts when the destination has none for it (0: its first event). */
  startSeq: number
  lastSuccessAt: string | null
  eventsDelivered: number
  consecutiveFailures: number
  delivering: boolean
}

export class DuplicateDestinationNameError extends Error {}

export type DestinationReplaceResult = { kind: 'updated'; record: DestinationRecord } | { kind: 'stale' } | { kind: 'missing' }

type Row = {
  id: number
  name: string
  type: string
  enabled: boolean
  config: Record<string, unknown>
  secrets: string | null
  filter: DestinationFilter
  start_from: string
  start_seq: number
  version: number
  state: string
  error_type: string | null
  error_code: string | null
  error_info: string | null
  last_success_at: Date | null
  delivered_total: number | null
  consecutive_failures: number | null
  delivering: boolean | null
}

function toRecord(row: Row): DestinationRecord {
  const state: DestinationState = { state: row.state as DestinationState['state'] }
  if (row.error_type) state.errorType = row.error_type as NonNullable<DestinationState['errorType']>
  if (row.error_code) state.errorCode = row.error_code
  if (row.error_info) state.errorInfo = row.error_info
  return {
    id: Number(row.id),
    name: row.name,
    type: row.type,
    enabled: row.enabled,
    config: row.config,
    secrets: row.secrets,
    filter: row.filter ?? {},
    startFrom: row.start_from === 'now' ? 'now' : 'earliest',
    startSeq: Number(row.start_seq),
    version: Number(row.version),
    state,
    lastSuccessAt: row.last_success_at ? row.last_success_at.toISOString() : null,
    eventsDelivered: Number(row.delivered_total ?? 0),
    consecutiveFailures: Number(row.consecutive_failures ?? 0),
    delivering: Boolean(row.delivering),
  }
}

const SELECT = sql`
  select d.id, d.name, d.type, d.enabled, d.config, d.secrets, d.filter, d.start_from, d.start_seq, d.version,
         d.state, d.error_type, d.error_code, d.error_info,
         l.last_success_at, l.delivered_total, l.consecutive_failures, (l.lease_owner is not null and l.lease_expires_at > now()) as delivering
  from destinations d left join destination_leases l on l.destination_id = d.id`

export class DestinationsRepository {
  readonly leases: Leases

  constructor(private readonly db: Kysely<Tables>) {
    this.leases = new Leases(db, DESTINATION_LEASES)
  }

  async list(): Promise<DestinationRecord[]> {
    const result = await sql<Row>`${SELECT} order by d.id`.execute(this.db)
    return result.rows.map(toRecord)
  }

  async get(id: number): Promise<DestinationRecord | undefined> {
    const result = await sql<Row>`${SELECT} where d.id = ${id}`.execute(this.db)
    return result.rows[0] && toRecord(result.rows[0])
  }

  /**
   * Inserts the destination, its lease row and, with startFrom "now", a cursor at each source's
   * newest stored event, in one statement (atomic without BEGIN/COMMIT, one snapshot). Per source:
   * a source's events commit in seq order, so everything it commits later lies above its cursor,
   * whereas one global seq would pass over events a run had written but not yet committed. A
   * disabled destination's lease row is blocked, so no replica claims it.
   */
  async create(values: DestinationValues): Promise<DestinationRecord> {
    try {
      const created = await sql<{ id: number }>`
        with d as (
          insert into destinations (name, type, enabled, config, secrets, filter, start_from, state)
          values (${values.name}, ${values.type}, ${values.enabled}, ${JSON.stringify(values.config)}, ${values.secrets},
                  ${JSON.stringify(values.filter)}, ${values.startFrom}, ${values.enabled ? 'Pending' : 'Disabled'})
          returning id
        ), l as (
          insert into destination_leases (destination_id, blocked) select id, ${!values.enabled} from d returning destination_id
        ), c as (
          insert into destination_cursors (destination_id, source_id, delivered_seq)
          select d.id, s.id, coalesce((select max(e.seq) from events e where e.source_id = s.id), 0)
          from d cross join sources s where ${values.startFrom === 'now'}
          returning 1
        )
        select id from d`.execute(this.db)
      return (await this.get(Number(created.rows[0]!.id)))!
    } catch (err) {
      if (isUniqueViolation(err, 'destinations_name_unique')) throw new DuplicateDestinationNameError(values.name)
      throw err
    }
  }

  /**
   * Full replacement guarded by the version from If-Match. Any update clears an error and makes the
   * destination due at once with a fresh failure count (a DestinationConfig error pauses delivery
   * until the destination is updated or restarted); disabling blocks it, enabling unblocks it. The
   * cursors stay: `startFrom` applies to a destination's creation only.
   */
  async replace(id: number, expectedVersion: number, values: DestinationValues): Promise<DestinationReplaceResult> {
    try {
      const updated = await this.db.transaction().execute(async (trx) => {
        // Lease row, then destination row (LOCK ORDER in leases-repository.ts).
        await lockLease(trx, id, DESTINATION_LEASES)
        const result = await sql<{ id: number }>`
          update destinations
          set name = ${values.name}, type = ${values.type}, enabled = ${values.enabled}, config = ${JSON.stringify(values.config)},
              secrets = ${values.secrets}, filter = ${JSON.stringify(values.filter)}, version = version + 1,
              state = ${values.enabled ? 'Pending' : 'Disabled'}, error_type = null, error_code = null, error_info = null,
              updated_at = now()
          where id = ${id} and version = ${expectedVersion}
          returning id`.execute(trx)
        if (result.rows.length === 0) return false
        await sql`
          update destination_leases
          set blocked = ${!values.enabled}, next_run_at = least(next_run_at, now()), consecutive_failures = 0
          where destination_id = ${id}`.execute(trx)
        return true
      })
      if (updated) return { kind: 'updated', record: (await this.get(id))! }
    } catch (err) {
      if (isUniqueViolation(err, 'destinations_name_unique')) throw new DuplicateDestinationNameError(values.name)
      throw err
    }
    return (await this.get(id)) ? { kind: 'stale' } : { kind: 'missing' }
  }

  async delete(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await lockLease(trx, id, DESTINATION_LEASES)
      const rows = await trx.deleteFrom('destinations').where('id', '=', id).returning('id').execute()
      return rows.length > 0
    })
  }

  /** The restart action: an error is cleared, and the destination is due at once, unblocked if enabled. */
  async restart(id: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await lockLease(trx, id, DESTINATION_LEASES)
      await sql`
        update destinations set state = 'Pending', error_type = null, error_code = null, error_info = null
        where id = ${id} and enabled and state = 'Error'`.execute(trx)
      await sql`
        update destination_leases l set run_requested = true, blocked = not d.enabled, consecutive_failures = 0
        from destinations d where d.id = l.destination_id and l.destination_id = ${id}`.execute(trx)
    })
  }

  /**
   * Delivery moves the visible state: fenced by its lease, and applied only while the destination
   * still has the config version the delivery read (an update resets the state for its new config).
   */
  async setDeliveryState(lease: LeaseHandle, configVersion: number, state: DestinationState): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await this.leases.fence(trx, lease)
      const updated = await trx
        .updateTable('destinations')
        .set({ state: state.state, error_type: state.errorType ?? null, error_code: state.errorCode ?? null, error_info: state.errorInfo ?? null })
        .where('id', '=', lease.id)
        .where('version', '=', configVersion)
        .returning('id')
        .executeTakeFirst()
      return updated !== undefined
    })
  }

  /**
   * Whether a destination has been due for at least `waitedMs` (or was asked to run), held by no one.
   * A destination given back just now does not count yet, so idle sessions do not hand their
   * leases round and round between them.
   */
  async anyWaiting(waitedMs: number): Promise<boolean> {
    const result = await sql<{ waiting: boolean }>`
      select exists (
        select 1 from destination_leases
        where not blocked and (lease_expires_at is null or lease_expires_at < now())
          and (next_run_at <= now() - ${waitedMs} * interval '1 millisecond' or run_requested)
      ) as waiting`.execute(this.db)
    return Boolean(result.rows[0]?.waiting)
  }

  /** Takes a restart asked for while the destination was being delivered (the delivery retries at once). */
  async takeRestartRequest(id: number): Promise<boolean> {
    const result = await sql`
      update destination_leases set run_requested = false where destination_id = ${id} and run_requested returning 1`.execute(this.db)
    return result.rows.length > 0
  }

  /** The config version a delivery should compare against, without reading the whole row. */
  async version(id: number): Promise<number | undefined> {
    const row = await this.db.selectFrom('destinations').select('version').where('id', '=', id).executeTakeFirst()
    return row && Number(row.version)
  }
}
