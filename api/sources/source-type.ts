// What a Cloud-to-Cloud source type provides. Adding a type means one schema file in schemas/sources/
// and one folder here exporting a SourceTypeDefinition; registry.ts lists them.
import type { TObject } from '@sinclair/typebox'
import type { Logger } from 'pino'
import type { ValidationIssue } from '../../schemas/errors.js'
import type { RuntimeMetrics } from '../metrics.js'
import type { IngestRepository } from '../store/ingest-repository.js'
import type { LeaseHandle } from '../store/leases-repository.js'
import type { SourceRecord } from '../store/sources-repository.js'
import type { RunError } from '../store/tables.js'
import type { SlidingWindowLimiter } from './rate-limiter.js'

export interface SourceTypeDefinition {
  /** The `schemaRef.type` value, e.g. "ChatGPT Compliance". */
  readonly type: string
  /** JSON schema of `config`; validated strictly (unknown keys are rejected). */
  readonly configSchema: TObject
  /** Config keys holding secrets: stored sealed, answered as "********". */
  readonly secretKeys: readonly string[]
  /**
   * Rules a JSON schema can't express (aliases, cross-field agreement). Paths are relative to the
   * config (`$` is the config object). Only called on configs that passed the schema.
   */
  checkConfig(config: Record<string, unknown>): ValidationIssue[]
  /** Hours between runs for this config. */
  pollingIntervalHours(config: Record<string, unknown>): number
  /**
   * One run: collect everything new, committing through `ctx.ingest` (every write is fenced by
   * the lease). Throws SourceRunError to fail the run with a state error type.
   */
  run(ctx: SourceRunContext): Promise<void>
}

/** Process-wide settings every run shares. */
export interface RuntimeSettings {
  chatgptBaseUrl: string
  /** Downloaded files wait here until parsed; one subfolder per source. */
  spoolDir: string
  limiter: SlidingWindowLimiter
  retry: { baseMs: number; capMs: number; attempts: number; maxRetryAfterMs: number }
  timeouts: { headersMs: number; bodyIdleMs: number }
  /** A batch commits after this many records or bytes, whichever comes first. */
  batch: { maxRecords: number; maxBytes: number }
  /** How far back the first run of a source looks. */
  initialLookbackDays: number
}

export interface SourceRunContext {
  source: SourceRecord
  collectorName: string
  secrets: Record<string, string>
  lease: LeaseHandle
  runId: number
  /** Aborted when the lease is lost, the source is deleted or the service stops. */
  signal: AbortSignal
  ingest: IngestRepository
  settings: RuntimeSettings
  logger: Logger
  metrics: RuntimeMetrics
  /** Moves a source that is not yet Collecting along Initialized → Authenticated → Collecting. */
  advanceState(state: 'Initialized' | 'Authenticated' | 'Collecting'): Promise<void>
  /** Keeps a non-fatal error (a retried 5xx, say) for the run record. */
  recordError(error: Omit<RunError, 'at'>): void
}
