// What a Cloud-to-Cloud source type provides. Adding a type means one schema file in schemas/sources/
// and one folder here exporting a SourceTypeDefinition, listed in registry.ts. The store and the
// scheduler know nothing of any type: a type reads its upstream, hands batches of events and an
// opaque position per stream to its run context, and declares its own settings and metrics.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ConfigurableKind } from '../shared/configurable.js'
import type { EnvReader } from '../shared/env.js'
import type { HttpTimeouts, RetryPolicy } from '../shared/http-client.js'
import type { BatchResult, EventToStore, RecordToQuarantine } from '../store/ingest-repository.js'
import type { SourceRecord } from '../store/sources-repository.js'
import type { RunError } from '../store/tables.js'

export interface SourceTypeDefinition<Settings = unknown> extends ConfigurableKind {
  /** The `schemaRef.type` value, e.g. "ChatGPT Compliance". */
  readonly type: string
  /** Hours between runs for this config. */
  pollingIntervalHours(config: Record<string, unknown>): number
  /**
   * The type's operator settings (never per source), read from the environment as the service
   * starts. Problems go to `env.problems`, each naming its variable.
   */
  readSettings(env: EnvReader): Settings
  /** Called once per service: registers the type's own metrics and returns what runs its sources. */
  createRunner(settings: Settings, metrics: Registry): SourceRunner
}

/**
 * One run: collect everything new, committing through the context (every write is fenced by the
 * lease). Throws SourceRunError to fail the run with a state error type.
 */
export type SourceRunner = (ctx: SourceRunContext) => Promise<void>

/** Settings every source type's runs share. */
export interface RuntimeSettings {
  /** This process's private scratch folder; a run writes only under `scratchDir(sourceId)`. */
  scratchRoot: string
  retry: Omit<RetryPolicy, 'maxThrottledWaits'>
  timeouts: HttpTimeouts
  /** A batch should commit after this many records or bytes of raw text, whichever comes first. */
  batch: { maxRecords: number; maxBytes: number }
}

/** A batch as a source type hands it over; the run adds the event metadata. */
export interface SourceBatch {
  stream: string
  /** Where the batch's events came from (a file, a page); '' when the type has no such notion. */
  origin: string
  events: EventToStore[]
  quarantined: RecordToQuarantine[]
  /** The stream's position once this batch is stored; opaque JSON owned by the type. */
  position: unknown
  /** Origins (files, pages) this batch finishes, counted on the run. */
  originsCompleted: number
  /** The newest event time in the batch, if any (for the source's lag). */
  newestEventAt: string | undefined
}

export interface SourceRunContext {
  source: SourceRecord
  secrets: Record<string, string>
  runId: number
  /** Aborted when the lease is lost, the source is deleted or the service stops. */
  signal: AbortSignal
  settings: RuntimeSettings
  logger: Logger
  /** A private folder for this source's temporary files (created on first use, emptied at start). */
  scratchDir(): Promise<string>
  /** The stream's position as last committed, or undefined before its first commit. */
  loadPosition(stream: string): Promise<unknown>
  /** Stores a batch, its quarantined records and the stream's new position in one transaction. */
  commit(batch: SourceBatch): Promise<BatchResult>
  /** Saves a position move that stores nothing. */
  savePosition(stream: string, position: unknown): Promise<void>
  /** Counts an answer of the upstream API, per route and status, in /metrics. */
  upstreamResponse(route: string, status: number | 'error'): void
  /** Moves a source that is not yet Collecting along Initialized → Authenticated → Collecting. */
  advanceState(state: 'Initialized' | 'Authenticated' | 'Collecting'): Promise<void>
  /** Keeps a non-fatal error (a retried 5xx, say) for the run record. */
  recordError(error: Omit<RunError, 'at'>): void
}
