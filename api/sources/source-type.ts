// What a Cloud-to-Cloud source type provides. Adding a type means one schema file in schemas/sources/
// and one folder here exporting a SourceTypeDefinition; registry.ts lists them.
import type { TObject } from '@sinclair/typebox'
import type { ValidationIssue } from '../../schemas/errors.js'

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
}
