// What a resource or data source implements. The framework does the protocol work (decoding, planning
// rules, self-checks, diagnostics); a resource only maps between Terraform values and the API.

import type { Diagnostics } from './diagnostics.js'
import type { BlockSchema } from './schema.js'
import type { Logger } from './logger.js'
import type { TfRecord, TfValue } from '../tfvalue/value.js'

export interface OperationContext {
  /** Aborted when Terraform calls StopProvider (Ctrl-C). */
  signal: AbortSignal
  diagnostics: Diagnostics
  log: Logger
}

export interface ManagedResource<Client> {
  readonly typeName: string
  readonly schema: BlockSchema
  /** Static checks; config values may be unknown here and must then be skipped. */
  validateConfig?(config: TfRecord, diagnostics: Diagnostics): void
  /**
   * Computed attributes whose new value follows from the configuration alone, write-only values included
   * (which write-only secrets are set, say). Planned as given, a difference from the prior state is a
   * change, and they are never planned unknown; create and update must return them as planned.
   */
  deriveComputed?(config: TfRecord, prior: TfRecord | null): Record<string, TfValue>
  create(client: Client, planned: TfRecord, config: TfRecord, ctx: OperationContext): Promise<TfRecord>
  /** null when the remote object is gone; Terraform then plans to create it again. */
  read(client: Client, state: TfRecord, ctx: OperationContext): Promise<TfRecord | null>
  update(client: Client, prior: TfRecord, planned: TfRecord, config: TfRecord, ctx: OperationContext): Promise<TfRecord>
  delete(client: Client, prior: TfRecord, ctx: OperationContext): Promise<void>
  /** The attributes an import id determines; read() fills in the rest. */
  importState(id: string, ctx: OperationContext): TfRecord
}

export interface DataSource<Client> {
  readonly typeName: string
  readonly schema: BlockSchema
  validateConfig?(config: TfRecord, diagnostics: Diagnostics): void
  read(client: Client, config: TfRecord, ctx: OperationContext): Promise<TfRecord>
}

export interface ProviderDefinition<Client> {
  /** The provider's type name, the prefix of its resource types ("openc2c"). */
  readonly typeName: string
  readonly schema: BlockSchema
  validateConfig?(config: TfRecord, diagnostics: Diagnostics): void
  configure(config: TfRecord, diagnostics: Diagnostics, log: Logger): Client | undefined
  readonly resources: ReadonlyArray<ManagedResource<Client>>
  readonly dataSources: ReadonlyArray<DataSource<Client>>
}
