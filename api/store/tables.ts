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

export interface SourceLeasesTable {
  source_id: number
  next_run_at: Timestamp
  run_requested: Generated<boolean>
  blocked: Generated<boolean>
  lease_owner: string | null
  lease_expires_at: Timestamp | null
  generation: Generated<number>
  consecutive_failures: Generated<number>
  last_started_at: Timestamp | null
  last_finished_at: Timestamp | null
  newest_event_at: Timestamp | null
  quarantined_records: Generated<number>
}

/** How far a source got in one of its streams; `position` belongs to the source type. */
export interface SourceProgressTable {
  source_id: number
  stream: string
  position: Json<unknown>
  updated_at: Timestamp
}

export interface EventMetadataTable {
  id: Generated<number>
  source_id: number
  digest: string
  metadata: Json<Record<string, unknown>>
}

export interface EventsTable {
  source_id: number
  event_id: string
  seq: Generated<number>
  event_type: string
  occurred_at: Timestamp
  received_at: Timestamp
  /** Where the source type found the event (a file, a page), when it says. */
  origin: string | null
  metadata_id: number
  raw: string
}

export interface RunError {
  at: string
  type: string
  message: string
}

export interface SourceRunsTable {
  id: Generated<number>
  source_id: number
  generation: number
  owner: string
  status: Generated<string>
  started_at: Timestamp
  finished_at: Timestamp | null
  /** Origins (files, pages) the run finished. */
  origins: Generated<number>
  events_stored: Generated<number>
  duplicates_skipped: Generated<number>
  quarantined: Generated<number>
  errors: Json<RunError[]>
}

export interface QuarantinedRecordsTable {
  source_id: number
  stream: string
  origin: string
  /** Where the record sits within its origin, in the source type's words (e.g. "line 12"). */
  position: string
  seq: Generated<number>
  reason: string
  raw: string
  raw_bytes: number
  created_at: Timestamp
}

export interface Tables {
  settings: SettingsTable
  access_keys: AccessKeysTable
  collectors: CollectorsTable
  sources: SourcesTable
  source_leases: SourceLeasesTable
  source_progress: SourceProgressTable
  event_metadata: EventMetadataTable
  events: EventsTable
  source_runs: SourceRunsTable
  quarantined_records: QuarantinedRecordsTable
}

export type CollectorRow = Selectable<CollectorsTable>
export type NewCollectorRow = Insertable<CollectorsTable>
export type CollectorUpdate = Updateable<CollectorsTable>
export type SourceRow = Selectable<SourcesTable>
export type NewSourceRow = Insertable<SourcesTable>
