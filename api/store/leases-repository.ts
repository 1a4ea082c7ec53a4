// All SQL about leases: the scheduler's claim, renewal and release, and the fence that every write
// of the lease holder runs first. One lease row per leased thing (a source's runs, a destination's
// deliveries: LeaseScope says which table); a claim is a single statement over `FOR UPDATE SKIP
// LOCKED`, so replicas on one Postgres never claim the same row twice.
//
// LOCK ORDER: a transaction that locks a lease row and its entity's row (the source, the
// destination) takes the lease row first. Holder writes fence (lock the lease row) and then insert
// rows whose foreign keys share-lock the entity row; so replace(), setRunState(), release() and the
// deletes lock the lease row before they touch the entity row. On Postgres any other order can
// deadlock; PGlite has one session and never shows it.
import { type Kysely, type Transaction, sql } from 'kysely'
import type { Tables } from './tables.js'

/** Which lease rows: the table, its key column, and the leased entity's table (whose `version` a release compares). */
export interface LeaseScope {
  table: 'source_leases' | 'destination_leases'
  key: 'source_id' | 'destination_id'
  entity: 'sources' | 'destinations'
  /** For messages: "source", "destination". */
  noun: string
}

export const SOURCE_LEASES: LeaseScope = { table: 'source_leases', key: 'source_id', entity: 'sources', noun: 'source' }
export const DESTINATION_LEASES: LeaseScope = { table: 'destination_leases', key: 'destination_id', entity: 'destinations', noun: 'destination' }

/** A holder's lease was lost (expired, re-claimed elsewhere, or its entity deleted): it commits nothing more. */
export class LeaseLostError extends Error {
  constructor(id: number, noun = 'source') {
    super(`lease on ${noun} ${id} was lost; stopping without committing`)
    this.name = 'LeaseLostError'
  }
}

/** Locks a lease row for the rest of `trx` (LOCK ORDER: before touching the entity row). */
export async function lockLease(trx: Transaction<Tables>, id: number, scope: LeaseScope = SOURCE_LEASES): Promise<void> {
  await sql`select 1 from ${sql.table(scope.table)} where ${sql.ref(scope.key)} = ${id} for update`.execute(trx)
}

/** Locks the lease rows of every source of a collector, in id order (LOCK ORDER, before a cascade delete). */
export async function lockCollectorLeases(trx: Transaction<Tables>, collectorId: number): Promise<void> {
  await sql`
    select 1 from source_leases l join sources s on s.id = l.source_id
    where s.collector_id = ${collectorId} order by l.source_id for update of l`.execute(trx)
}

export interface LeaseHandle {
  /** The leased entity's id (a source id, a destination id). */
  id: number
  owner: string
  generation: number
}

export interface Claim extends LeaseHandle {
  /** The previous holder's lease expired mid-run (a crashed or killed worker). */
  recovered: boolean
  consecutiveFailures: number
}

export class Leases {
  constructor(
    protected readonly db: Kysely<Tables>,
    readonly scope: LeaseScope = SOURCE_LEASES,
  ) {}

  /**
   * Claims the most due row: a requested restart first, then the oldest next_run_at, and a row whose
   * holder's lease expired mid-run (so a killed worker's work is resumed, not left until its next
   * turn). `exclude` lists what the caller is still working on: a process that was paused past its
   * lease must not start a second holder next to its own (fenced) first one.
   */
  async claim(owner: string, leaseMs: number, exclude: readonly number[] = []): Promise<Claim | undefined> {
    const { table, key } = this.scope
    const result = await sql<{ id: number; generation: number; previous_owner: string | null; consecutive_failures: number }>`
      with due as (
        select ${sql.ref(key)} as id, lease_owner as previous_owner from ${sql.table(table)}
        where not blocked
          and not (${sql.ref(key)} = any(${[...exclude]}::bigint[]))
          and (lease_expires_at is null or lease_expires_at < now())
          and (next_run_at <= now() or run_requested or lease_owner is not null)
        order by run_requested desc, next_run_at
        limit 1
        for update skip locked
      )
      update ${sql.table(table)} l
      set lease_owner = ${owner},
          lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
          generation = l.generation + 1,
          run_requested = false,
          last_started_at = now()
      from due
      where l.${sql.ref(key)} = due.id
      returning due.id, l.generation, due.previous_owner, l.consecutive_failures`.execute(this.db)
    const row = result.rows[0]
    if (!row) return undefined
    return {
      id: Number(row.id),
      owner,
      generation: Number(row.generation),
      recovered: row.previous_owner !== null,
      consecutiveFailures: Number(row.consecutive_failures),
    }
  }

  async renew(lease: LeaseHandle, leaseMs: number): Promise<boolean> {
    const result = await sql`
      update ${sql.table(this.scope.table)} set lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
      where ${sql.ref(this.scope.key)} = ${lease.id} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        and lease_expires_at > now()
      returning 1`.execute(this.db)
    return result.rows.length > 0
  }

  /**
   * Ends a holder's turn: schedules the next one (or blocks the row until its entity is updated or
   * restarted). A restart requested meanwhile overrides a block: the user asked for another try.
   *
   * With `configVersion` (the config the holder used), the outcome applies only if the entity still
   * has that config version: when it was updated meanwhile, the outcome says nothing about the new
   * config, so the row is due at once, unblocked, with a fresh failure count.
   */
  async release(lease: LeaseHandle, outcome: { nextRunAt: Date; blocked: boolean; consecutiveFailures: number; configVersion?: number }): Promise<boolean> {
    const { table, key, entity } = this.scope
    return this.db.transaction().execute(async (trx) => {
      let { nextRunAt, blocked, consecutiveFailures } = outcome
      if (outcome.configVersion !== undefined) {
        // Lease row, then entity row (LOCK ORDER), reading the entity's latest version: a replace()
        // either committed before (seen here) or waits for us and then lifts what we set.
        await lockLease(trx, lease.id, this.scope)
        const unchanged = await sql`
          select 1 from ${sql.table(entity)} where id = ${lease.id} and version = ${outcome.configVersion} for share`.execute(trx)
        if (unchanged.rows.length === 0) {
          nextRunAt = new Date()
          blocked = false
          consecutiveFailures = 0
        }
      }
      const result = await sql`
        update ${sql.table(table)}
        set lease_owner = null, lease_expires_at = null, last_finished_at = now(),
            next_run_at = ${nextRunAt}, blocked = ${blocked} and not run_requested,
            consecutive_failures = ${consecutiveFailures}
        where ${sql.ref(key)} = ${lease.id} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        returning 1`.execute(trx)
      return result.rows.length > 0
    })
  }

  /**
   * Throws LeaseLostError unless `lease` is still held, and locks the lease row until the
   * transaction ends, so the claim cannot move while this transaction's writes commit.
   */
  async fence(trx: Transaction<Tables>, lease: LeaseHandle): Promise<void> {
    const result = await sql`
      select 1 from ${sql.table(this.scope.table)}
      where ${sql.ref(this.scope.key)} = ${lease.id} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        and lease_expires_at > now()
      for update`.execute(trx)
    if (result.rows.length === 0) throw new LeaseLostError(lease.id, this.scope.noun)
  }

  /** The restart action: due as soon as a worker is free, and a configuration block lifted. */
  async requestRun(id: number): Promise<void> {
    await sql`update ${sql.table(this.scope.table)} set run_requested = true, blocked = false where ${sql.ref(this.scope.key)} = ${id}`.execute(this.db)
  }
}

export interface LeaseView {
  nextRunAt: Date
  runRequested: boolean
  blocked: boolean
  running: boolean
  lastStartedAt: Date | null
  lastFinishedAt: Date | null
  newestEventAt: Date | null
  quarantinedRecords: number
}

/** Source leases, with what a source's lease row also records about its collection. */
export class LeasesRepository extends Leases {
  constructor(db: Kysely<Tables>) {
    super(db, SOURCE_LEASES)
  }

  async view(sourceId: number): Promise<LeaseView | undefined> {
    const row = await this.db.selectFrom('source_leases').selectAll().where('source_id', '=', sourceId).executeTakeFirst()
    if (!row) return undefined
    return {
      nextRunAt: row.next_run_at,
      runRequested: row.run_requested,
      blocked: row.blocked,
      running: row.lease_owner !== null && row.lease_expires_at !== null && row.lease_expires_at > new Date(),
      lastStartedAt: row.last_started_at,
      lastFinishedAt: row.last_finished_at,
      newestEventAt: row.newest_event_at,
      quarantinedRecords: Number(row.quarantined_records),
    }
  }
}
