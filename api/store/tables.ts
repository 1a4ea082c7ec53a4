// Row types of every table, as Kysely sees them. The DDL lives in migrations/.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>

export interface SettingsTable {
  key: string
  value: string
}

export interface AccessKeysTable {
  access_id: string
  key_hash: string
  created_at: Timestamp
}

export interface CollectorsTable {
  id: Generated<number>
  name: string
  description: string | null
  category: string | null
  time_zone: string
  fields: Json<Record<string, string>>
  /** Bumped by every user write; the ETag is derived from it. */
  version: Generated<number>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SourcesTable {
  id: Generated<number>
  collector_id: number
  /** config.name, kept in a column for the per-collector uniqueness constraint. */
  name: string
  schema_type: string
  /** The config as sent, with every secret replaced by the mask. */
  config: Json<Record<string, unknown>>
  /** AES-256-GCM envelope of the secret config values (store/secrets.ts). */
  secrets: string | null
  version: Generated<number>
  state: string
  error_type: string | null
  error_code: string | null
  error_info: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface Tables {
  settings: SettingsTable
  access_keys: AccessKeysTable
  collectors: CollectorsTable
  sources: SourcesTable
}

export type CollectorRow = Selectable<CollectorsTable>
export type NewCollectorRow = Insertable<CollectorsTable>
export type CollectorUpdate = Updateable<CollectorsTable>
export type SourceRow = Selectable<SourcesTable>
export type NewSourceRow = Insertable<SourcesTable>
