// All SQL about the stored definition of sources (config, sealed secrets, state). Run-time progress
// (leases, cursors, events) has its own repositories.
import { type Kysely, sql } from 'kysely'
import type { SourceState } from '../../schemas/source.js'
import { type LeaseHandle, LeasesRepository, lockLease } from './leases-repository.js'
import { isForeignKeyViolation, isUniqueViolation } from './postgres-errors.js'
import type { SourceRow, Tables } from './tables.js'

export interface SourceValues {
  name: string
  schemaType: string
  /** Config as sent, with secrets masked. */
  config: Record<string, unknown>
  /** Sealed secret values, or null when the type has none. */
  secrets: string | null
}

export interface SourceRecord extends SourceValues {
  id: number
  collectorId: number
  version: number
  state: SourceState
  /** Runtime facts from the source's lease row; absent until the scheduler has seen the source. */
  collection?: CollectionInfo
}

export interface CollectionInfo {
  /** Not shown on the wire; lets a cached record recompute `running`. */
  leaseExpiresAt?: string | null
  nextRunAt: string
  lastRunStartedAt: string | null
  lastRunFinishedAt: string | null
  newestEventAt: string | null
  quarantinedRecords: number
  running: boolean
}

export class DuplicateSourceNameError extends Error {}
/** The collector was deleted between the caller's check and the insert. */
export class MissingCollectorError extends Error {}

export type SourceReplaceResult = { kind: 'updated'; record: SourceRecord } | { kind: 'stale' } | { kind: 'missing' }

const COLUMNS = [
  'id',
  'collector_id',
  'name',
  'schema_type',
  'config',
  'secrets',
  'version',
  'state',
  'error_type',
  'error_code',
  'error_info',
] as const

type SourceColumns = Pick<SourceRow, (typeof COLUMNS)[number]> & {
  next_run_at?: Date | null
  last_started_at?: Date | null
  last_finished_at?: Date | null
  newest_event_at?: Date | null
  quarantined_records?: number | null
  lease_active?: boolean | null
  lease_expires_at?: Date | null
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)

export function toSourceRecord(row: SourceColumns): SourceRecord {
  const state: SourceState = { state: row.state as SourceState['state'] }
  if (row.error_type) state.errorType = row.error_type as NonNullable<SourceState['errorType']>
  if (row.error_code) state.errorCode = row.error_code
  if (row.error_info) state.errorInfo = row.error_info
  const record: SourceRecord = {
    id: Number(row.id),
    collectorId: Number(row.collector_id),
    name: row.name,
    schemaType: row.schema_type,
    config: row.config,
    secrets: row.secrets,
    version: row.version,
    state,
  }
  if (row.next_run_at) {
    record.collection = {
      leaseExpiresAt: iso(row.lease_expires_at),
      nextRunAt: row.next_run_at.toISOString(),
      lastRunStartedAt: iso(row.last_started_at),
      lastRunFinishedAt: iso(row.last_finished_at),
      newestEventAt: iso(row.newest_event_at),
      quarantinedRecords: Number(row.quarantined_records ?? 0),
      running: Boolean(row.lease_active),
    }
  }
  return record
}

export class SourcesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    /** Only its fence is used (a run's state writes); stateless, so a private one is as good. */
    private readonly leases: LeasesRepository = new LeasesRepository(db),
  ) {}

  #select() {
    return selectSources(this.db)
  }

  async list(collectorId: number): Promise<SourceRecord[]> {
    const rows = await this.#select().where('s.collector_id', '=', collectorId).orderBy('s.id').execute()
    return rows.map(toSourceRecord)
  }

  async get(collectorId: number, id: number): Promise<SourceRecord | undefined> {
    const row = await this.#select().where('s.id', '=', id).where('s.collector_id', '=', collectorId).executeTakeFirst()
    return row && toSourceRecord(row)
  }

  async getById(id: number): Promise<SourceRecord | undefined> {
    const row = await this.#select().where('s.id', '=', id).executeTakeFirst()
    return row && toSourceRecord(row)
  }

  /** Clears an error state (restart action): the source shows Pending until its next run starts. */
  async clearError(id: number): Promise<void> {
    await this.db
      .updateTable('sources')
      .set({ state: 'Pending', error_type: null, error_code: null, error_info: null })
      .where('id', '=', id)
      .where('state', '=', 'Error')
      .execute()
  }

  /**
   * A run moves the visible state: fenced by its lease, like every run write, and applied only while
   * the source still has the config version the run read. A state (an Error above all) describes
   * the config that produced it: once the source is updated, the new config has not been tried and
   * the reset done by replace() must stand. Returns false when the version moved on.
   */
  async setRunState(lease: LeaseHandle, configVersion: number, state: SourceState): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The lease row (the fence) first, then the source row: the order every transaction that
      // touches both takes (see LOCK ORDER in leases-repository.ts). The version test is evaluated on
      // the latest row version under its lock, so an update committed meanwhile is seen.
      await this.leases.fence(trx, lease)
      const updated = await trx
        .updateTable('sources')
        .set({ state: state.state, error_type: state.errorType ?? null, error_code: state.errorCode ?? null, error_info: state.errorInfo ?? null })
        .where('id', '=', lease.id)
        .where('version', '=', configVersion)
        .returning('id')
        .executeTakeFirst()
      return updated !== undefined
    })
  }

  /** Every source with its collector's name, for per-source metrics. */
  async listAllForMetrics(): Promise<{ id: number; name: string; state: string; errorType: string | null; newestEventAt: Date | null; quarantinedRecords: number }[]> {
    const rows = await this.db
      .selectFrom('sources as s')
      .leftJoin('source_leases as l', 'l.source_id', 's.id')
      .select(['s.id', 's.name', 's.state', 's.error_type', 'l.newest_event_at', 'l.quarantined_records'])
      .execute()
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      state: r.state,
      errorType: r.error_type,
      newestEventAt: r.newest_event_at,
      quarantinedRecords: Number(r.quarantined_records ?? 0),
    }))
  }

  /**
   * Inserts the source and its lease row (due at once) in one statement: the lease insert reads the new id
   * from the source insert's RETURNING (a data-modifying WITH), and a single statement is atomic without
   * BEGIN/COMMIT. One round trip instead of five matters on the embedded database, where every statement
   * of every request queues on its one connection.
   */
  async create(collectorId: number, values: SourceValues): Promise<SourceRecord> {
    try {
      const row = await this.db
        .with('s', (db) =>
          db
            .insertInto('sources')
            .values({
              collector_id: collectorId,
              name: values.name,
              schema_type: values.schemaType,
              config: JSON.stringify(values.config),
              secrets: values.secrets,
              state: 'Pending',
            })
            .returning(COLUMNS),
        )
        .with('l', (db) =>
          db
            .insertInto('source_leases')
            .columns(['source_id', 'next_run_at'])
            .expression((eb) => eb.selectFrom('s').select(['s.id', eb.val(new Date()).as('next_run_at')]))
            .returningAll(),
        )
        // The rows the two inserts returned, read as selectSources reads the tables.
        .selectFrom('s')
        .innerJoin('l', 'l.source_id', 's.id')
        .selectAll('s')
        .select(LEASE_COLUMNS)
        .executeTakeFirstOrThrow()
      return toSourceRecord(row)
    } catch (err) {
      if (isUniqueViolation(err, 'sources_collector_name_unique')) throw new DuplicateSourceNameError(values.name)
      // 23503 foreign_key_violation: only sources.collector_id can fail here (the lease row refers to
      // the source inserted by the same statement).
      if (isForeignKeyViolation(err)) throw new MissingCollectorError(String(collectorId))
      throw err
    }
  }

  /**
   * Full replacement guarded by the version from If-Match. A source in Error goes back to Pending
   * and, with a fresh failure count, is due at once and no longer blocked, so a ThirdPartyConfig
   * error (which is not retried) clears once the user fixes the config; any other state is the
   * runtime's to change. All in one transaction with the UPDATE: a run that fails with the old
   * config cannot slip in between (its writes are guarded by the config version, see
   * setRunState), and the record returned is the one this update wrote, not a later one.
   */
  async replace(collectorId: number, id: number, expectedVersion: number, values: SourceValues): Promise<SourceReplaceResult> {
    try {
      const record = await this.db.transaction().execute(async (trx) => {
        // Lease row, then source row (LOCK ORDER in leases-repository.ts): a run holding its lease
        // row and checking the source's foreign key must not wait on us while we wait on it.
        await lockLease(trx, id)
        // Locks the row, so the state read here is the one the update below replaces.
        const current = await trx
          .selectFrom('sources')
          .select('state')
          .where('id', '=', id)
          .where('collector_id', '=', collectorId)
          .where('version', '=', expectedVersion)
          .forUpdate()
          .executeTakeFirst()
        if (!current) return undefined
        const wasError = current.state === 'Error'
        await trx
          .updateTable('sources')
          .set((eb) => ({
            name: values.name,
            config: JSON.stringify(values.config),
            secrets: values.secrets,
            version: eb('version', '+', 1),
            ...(wasError ? { state: 'Pending', error_type: null, error_code: null, error_info: null } : {}),
            updated_at: new Date(),
          }))
          .where('id', '=', id)
          .execute()
        await trx
          .updateTable('source_leases')
          .set({ blocked: false, next_run_at: sql<Date>`least(next_run_at, now())`, ...(wasError ? { consecutive_failures: 0 } : {}) })
          .where('source_id', '=', id)
          .where((eb) => (wasError ? eb.lit(true) : eb('blocked', '=', true)))
          .execute()
        // Same transaction, row still locked: this is exactly what the update wrote.
        return toSourceRecord(await selectSources(trx).where('s.id', '=', id).executeTakeFirstOrThrow())
      })
      if (record) return { kind: 'updated', record }
    } catch (err) {
      if (isUniqueViolation(err, 'sources_collector_name_unique')) throw new DuplicateSourceNameError(values.name)
      throw err
    }
    return (await this.get(collectorId, id)) ? { kind: 'stale' } : { kind: 'missing' }
  }

  async delete(collectorId: number, id: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The cascade deletes the lease row after the source row; lock it first (LOCK ORDER in
      // leases-repository.ts) so a run committing at this moment finishes or waits, never deadlocks.
      await lockLease(trx, id)
      const rows = await trx.deleteFrom('sources').where('id', '=', id).where('collector_id', '=', collectorId).returning('id').execute()
      return rows.length > 0
    })
  }
}

/** What a source record shows of its lease row `l` (selectSources, and create's own inserted row). */
const LEASE_COLUMNS = [
  'l.next_run_at',
  'l.last_started_at',
  'l.last_finished_at',
  'l.newest_event_at',
  'l.quarantined_records',
  'l.lease_expires_at',
  sql<boolean>`l.lease_owner is not null and l.lease_expires_at > now()`.as('lease_active'),
] as const

/** Sources with their lease row's runtime facts, in one query. */
function selectSources(db: Kysely<Tables>) {
  return db
    .selectFrom('sources as s')
    .leftJoin('source_leases as l', 'l.source_id', 's.id')
    .select(COLUMNS.map((c) => `s.${c}` as const))
    .select(LEASE_COLUMNS)
}
