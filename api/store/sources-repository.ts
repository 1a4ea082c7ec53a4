// All SQL about the stored definition of sources (config, sealed secrets, state). Run-time progress
// (leases, cursors, events) has its own repositories.
import { type Kysely, sql } from 'kysely'
import type { SourceState } from '../../schemas/source.js'
import { isUniqueViolation } from './postgres-errors.js'
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
}

export class DuplicateSourceNameError extends Error {}

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

type SourceColumns = Pick<SourceRow, (typeof COLUMNS)[number]>

export function toSourceRecord(row: SourceColumns): SourceRecord {
  const state: SourceState = { state: row.state as SourceState['state'] }
  if (row.error_type) state.errorType = row.error_type as NonNullable<SourceState['errorType']>
  if (row.error_code) state.errorCode = row.error_code
  if (row.error_info) state.errorInfo = row.error_info
  return {
    id: Number(row.id),
    collectorId: Number(row.collector_id),
    name: row.name,
    schemaType: row.schema_type,
    config: row.config,
    secrets: row.secrets,
    version: row.version,
    state,
  }
}

export class SourcesRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async list(collectorId: number): Promise<SourceRecord[]> {
    const rows = await this.db.selectFrom('sources').select(COLUMNS).where('collector_id', '=', collectorId).orderBy('id').execute()
    return rows.map(toSourceRecord)
  }

  async get(collectorId: number, id: number): Promise<SourceRecord | undefined> {
    const row = await this.db
      .selectFrom('sources')
      .select(COLUMNS)
      .where('id', '=', id)
      .where('collector_id', '=', collectorId)
      .executeTakeFirst()
    return row && toSourceRecord(row)
  }

  async getById(id: number): Promise<SourceRecord | undefined> {
    const row = await this.db.selectFrom('sources').select(COLUMNS).where('id', '=', id).executeTakeFirst()
    return row && toSourceRecord(row)
  }

  async create(collectorId: number, values: SourceValues): Promise<SourceRecord> {
    try {
      const row = await this.db
        .insertInto('sources')
        .values({
          collector_id: collectorId,
          name: values.name,
          schema_type: values.schemaType,
          config: JSON.stringify(values.config),
          secrets: values.secrets,
          state: 'Pending',
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()
      return toSourceRecord(row)
    } catch (err) {
      if (isUniqueViolation(err, 'sources_collector_name_unique')) throw new DuplicateSourceNameError(values.name)
      throw err
    }
  }

  /**
   * Full replacement guarded by the version from If-Match. A source in Error goes back to Pending,
   * so a ThirdPartyConfig error (which is not retried) clears once the user fixes the config; any
   * other state is the runtime's to change.
   */
  async replace(collectorId: number, id: number, expectedVersion: number, values: SourceValues): Promise<SourceReplaceResult> {
    try {
      const row = await this.db
        .updateTable('sources')
        .set((eb) => ({
          name: values.name,
          config: JSON.stringify(values.config),
          secrets: values.secrets,
          version: eb('version', '+', 1),
          state: sql<string>`case when state = 'Error' then 'Pending' else state end`,
          error_type: sql<string | null>`case when state = 'Error' then null else error_type end`,
          error_code: sql<string | null>`case when state = 'Error' then null else error_code end`,
          error_info: sql<string | null>`case when state = 'Error' then null else error_info end`,
          updated_at: new Date(),
        }))
        .where('id', '=', id)
        .where('collector_id', '=', collectorId)
        .where('version', '=', expectedVersion)
        .returning(COLUMNS)
        .executeTakeFirst()
      if (row) return { kind: 'updated', record: toSourceRecord(row) }
    } catch (err) {
      if (isUniqueViolation(err, 'sources_collector_name_unique')) throw new DuplicateSourceNameError(values.name)
      throw err
    }
    return (await this.get(collectorId, id)) ? { kind: 'stale' } : { kind: 'missing' }
  }

  async delete(collectorId: number, id: number): Promise<boolean> {
    const rows = await this.db.deleteFrom('sources').where('id', '=', id).where('collector_id', '=', collectorId).returning('id').execute()
    return rows.length > 0
  }
}
