// All SQL about collectors. Writes are compare-and-swap on `version`, which is what makes
// If-Match race-free: of N concurrent PUTs carrying the same ETag exactly one matches.
import type { Kysely } from 'kysely'
import { lockCollectorLeases } from './leases-repository.js'
import { isUniqueViolation } from './postgres-errors.js'
import type { CollectorRow, Tables } from './tables.js'

export interface CollectorValues {
  name: string
  description: string | null
  category: string | null
  timeZone: string
  fields: Record<string, string>
}

export interface CollectorRecord extends CollectorValues {
  id: number
  version: number
}

export class DuplicateCollectorNameError extends Error {}

export type ReplaceResult = { kind: 'updated'; record: CollectorRecord } | { kind: 'stale' } | { kind: 'missing' }

const COLUMNS = ['id', 'name', 'description', 'category', 'time_zone', 'fields', 'version'] as const

function toRecord(row: Pick<CollectorRow, (typeof COLUMNS)[number]>): CollectorRecord {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    category: row.category,
    timeZone: row.time_zone,
    fields: row.fields ?? {},
    version: row.version,
  }
}

export class CollectorsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async list(page: { limit: number; offset: number }): Promise<CollectorRecord[]> {
    const rows = await this.db.selectFrom('collectors').select(COLUMNS).orderBy('id').limit(page.limit).offset(page.offset).execute()
    return rows.map(toRecord)
  }

  async get(id: number): Promise<CollectorRecord | undefined> {
    const row = await this.db.selectFrom('collectors').select(COLUMNS).where('id', '=', id).executeTakeFirst()
    return row && toRecord(row)
  }

  async getByName(name: string): Promise<CollectorRecord | undefined> {
    const row = await this.db.selectFrom('collectors').select(COLUMNS).where('name', '=', name).executeTakeFirst()
    return row && toRecord(row)
  }

  async create(values: CollectorValues): Promise<CollectorRecord> {
    try {
      const row = await this.db
        .insertInto('collectors')
        .values({
          name: values.name,
          description: values.description,
          category: values.category,
          time_zone: values.timeZone,
          fields: JSON.stringify(values.fields),
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()
      return toRecord(row)
    } catch (err) {
      if (isUniqueViolation(err, 'collectors_name_unique')) throw new DuplicateCollectorNameError(values.name)
      throw err
    }
  }

  async replace(id: number, expectedVersion: number, values: CollectorValues): Promise<ReplaceResult> {
    try {
      const row = await this.db
        .updateTable('collectors')
        .set((eb) => ({
          name: values.name,
          description: values.description,
          category: values.category,
          time_zone: values.timeZone,
          fields: JSON.stringify(values.fields),
          version: eb('version', '+', 1),
          updated_at: new Date(),
        }))
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .returning(COLUMNS)
        .executeTakeFirst()
      if (row) return { kind: 'updated', record: toRecord(row) }
    } catch (err) {
      if (isUniqueViolation(err, 'collectors_name_unique')) throw new DuplicateCollectorNameError(values.name)
      throw err
    }
    return (await this.get(id)) ? { kind: 'stale' } : { kind: 'missing' }
  }

  async delete(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // Its sources' lease rows first (LOCK ORDER in leases-repository.ts): the cascade reaches them
      // after the source rows, and a run committing meanwhile must not deadlock with it.
      await lockCollectorLeases(trx, id)
      const rows = await trx.deleteFrom('collectors').where('id', '=', id).returning('id').execute()
      return rows.length > 0
    })
  }
}
