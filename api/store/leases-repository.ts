// All SQL about source leases: the scheduler's claim, renewal and release, and the fence that every
// progress write runs first. One row per source; a claim is a single statement over
// `FOR UPDATE SKIP LOCKED`, so replicas on one Postgres never claim the same source twice.
//
// LOCK ORDER: a transaction that locks a source's lease row and its source row takes the lease row
// first. Run writes fence (lock the lease row) and then insert rows whose foreign keys share-lock the
// source row; so replace(), setRunState(), release() and the deletes lock the lease row before they
// touch the source row. On Postgres any other order can deadlock; PGlite has one session and never
// shows it.
import { type Kysely, type Transaction, sql } from 'kysely'
import type { Tables } from './tables.js'

/** A run's lease was lost (expired, re-claimed elsewhere, or its source deleted): it commits nothing more. */
export class LeaseLostError extends Error {
  constructor(sourceId: number) {
    super(`lease on source ${sourceId} was lost; stopping without committing`)
    this.name = 'LeaseLostError'
  }
}

/** Locks a source's lease row for the rest of `trx` (LOCK ORDER: before touching the source row). */
export async function lockLease(trx: Transaction<Tables>, sourceId: number): Promise<void> {
  await sql`select 1 from source_leases where source_id = ${sourceId} for update`.execute(trx)
}

/** Locks the lease rows of every source of a collector, in id order (LOCK ORDER, before a cascade delete). */
export async function lockCollectorLeases(trx: Transaction<Tables>, collectorId: number): Promise<void> {
  await sql`
    select 1 from source_leases l join sources s on s.id = l.source_id
    where s.collector_id = ${collectorId} order by l.source_id for update of l`.execute(trx)
}

export interface LeaseHandle {
  sourceId: number
  owner: string
  generation: number
}

export interface Claim extends LeaseHandle {
  /** The previous holder's lease expired mid-run (a crashed or killed worker). */
  recovered: boolean
  consecutiveFailures: number
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

export class LeasesRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * Claims the most due source: a requested restart first, then the oldest next_run_at, and a source
   * whose holder's lease expired mid-run (so a killed worker's source is resumed, not left until its
   * next interval). `exclude` lists the sources the caller is still running: a process that was
   * paused past its lease must not start a second run next to its own (fenced) first one.
   */
  async claim(owner: string, leaseMs: number, exclude: readonly number[] = []): Promise<Claim | undefined> {
    const result = await sql<{ source_id: number; generation: number; previous_owner: string | null; consecutive_failures: number }>`
      with due as (
        select source_id, lease_owner as previous_owner from source_leases
        where not blocked
          and not (source_id = any(${[...exclude]}::bigint[]))
          and (lease_expires_at is null or lease_expires_at < now())
          and (next_run_at <= now() or run_requested or lease_owner is not null)
        order by run_requested desc, next_run_at
        limit 1
        for update skip locked
      )
      update source_leases l
      set lease_owner = ${owner},
          lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
          generation = l.generation + 1,
          run_requested = false,
          last_started_at = now()
      from due
      where l.source_id = due.source_id
      returning l.source_id, l.generation, due.previous_owner, l.consecutive_failures`.execute(this.db)
    const row = result.rows[0]
    if (!row) return undefined
    return {
      sourceId: Number(row.source_id),
      owner,
      generation: Number(row.generation),
      recovered: row.previous_owner !== null,
      consecutiveFailures: Number(row.consecutive_failures),
    }
  }

  async renew(lease: LeaseHandle, leaseMs: number): Promise<boolean> {
    const result = await sql`
      update source_leases set lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
      where source_id = ${lease.sourceId} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        and lease_expires_at > now()
      returning 1`.execute(this.db)
    return result.rows.length > 0
  }

  /**
   * Ends a run: schedules the next one (or blocks the source until it is updated or restarted).
   * A restart requested while the run was going overrides a block: the user asked for another try.
   *
   * With `configVersion` (the config the run used), the outcome applies only if the source still has
   * that config version: when it was updated meanwhile, the outcome says nothing about the new config,
   * so the source is due at once, unblocked, with a fresh failure count.
   */
  async release(lease: LeaseHandle, outcome: { nextRunAt: Date; blocked: boolean; consecutiveFailures: number; configVersion?: number }): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      let { nextRunAt, blocked, consecutiveFailures } = outcome
      if (outcome.configVersion !== undefined) {
        // Lease row, then source row (LOCK ORDER), reading the source's latest version: a replace()
        // either committed before (seen here) or waits for us and then lifts what we set.
        await lockLease(trx, lease.sourceId)
        const unchanged = await sql`
          select 1 from sources where id = ${lease.sourceId} and version = ${outcome.configVersion} for share`.execute(trx)
        if (unchanged.rows.length === 0) {
          nextRunAt = new Date()
          blocked = false
          consecutiveFailures = 0
        }
      }
      const result = await sql`
        update source_leases
        set lease_owner = null, lease_expires_at = null, last_finished_at = now(),
            next_run_at = ${nextRunAt}, blocked = ${blocked} and not run_requested,
            consecutive_failures = ${consecutiveFailures}
        where source_id = ${lease.sourceId} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        returning 1`.execute(trx)
      return result.rows.length > 0
    })
  }

  /**
   * Throws LeaseLostError unless `lease` still holds the source, and locks the lease row until the
   * transaction ends, so the claim cannot move while this transaction's writes commit.
   */
  async fence(trx: Transaction<Tables>, lease: LeaseHandle): Promise<void> {
    const result = await sql`
      select 1 from source_leases
      where source_id = ${lease.sourceId} and lease_owner = ${lease.owner} and generation = ${lease.generation}
        and lease_expires_at > now()
      for update`.execute(trx)
    if (result.rows.length === 0) throw new LeaseLostError(lease.sourceId)
  }

  /** The restart action: run as soon as a worker is free, and lift a ThirdPartyConfig block. */
  async requestRun(sourceId: number): Promise<void> {
    await sql`update source_leases set run_requested = true, blocked = false where source_id = ${sourceId}`.execute(this.db)
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
