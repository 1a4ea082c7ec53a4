// Generic planning rules, the ones Terraform's consistency checks expect (docs/terraform-provider.md):
//
//   destroy  proposed null                     → planned null
//   create   prior null                        → proposed, with defaults filled in and the other
//                                                computed attributes the config leaves null unknown
//   update   prior and proposed                → proposed (Terraform already copied prior computed values
//                                                in); when anything changes, computed attributes that the
//                                                server may recompute become unknown
//   replace  a requiresReplace attribute changed → as create, plus requires_replace paths
//
// Nested blocks are copied from the proposed value (which is the configuration for them: nothing inside
// a block is computed). Write-only attributes are always null in a plan, in blocks too: Terraform refuses
// a plan or state that contains them.
//
// A resource may also derive computed attributes from the configuration (`derived`): those are planned
// with the given value, count as a change when it differs from the prior state, and never become unknown.

import { attributePath, type AttributePath } from './attribute-path.js'
import { valueNames, valueTypes, type BlockSchema } from './schema.js'
import { withoutWriteOnly } from './write-only.js'
import { valuesEqual } from '../tfvalue/equal.js'
import type { CtyType } from '../tfvalue/types.js'
import { UNKNOWN, record, type TfRecord, type TfValue } from '../tfvalue/value.js'

export interface PlannedChange {
  planned: TfRecord | null
  requiresReplace: AttributePath[]
}

export function planChange(
  schema: BlockSchema,
  prior: TfRecord | null,
  proposed: TfRecord | null,
  config: TfRecord | null,
  derived: Record<string, TfValue> = {},
): PlannedChange {
  if (proposed === null || config === null) return { planned: null, requiresReplace: [] }
  const planned = withoutWriteOnly(schema, proposed)
  const attributes = Object.entries(schema.attributes)

  for (const [name, spec] of attributes) {
    if (spec.default !== undefined && config[name] === null) planned[name] = spec.default
  }
  for (const [name, value] of Object.entries(derived)) planned[name] = value

  const unknownComputed = (keepStable: boolean): void => {
    for (const [name, spec] of attributes) {
      if (!spec.computed || spec.default !== undefined || config[name] !== null || Object.hasOwn(derived, name)) continue
      if (keepStable && spec.useStateForUnknown) continue
      planned[name] = UNKNOWN
    }
  }

  if (prior === null) {
    unknownComputed(false)
    return { planned, requiresReplace: [] }
  }

  const requiresReplace: AttributePath[] = []
  let changed = false
  const types = valueTypes(schema)
  for (const name of Object.keys(types)) {
    const spec = schema.attributes[name]
    if (spec?.writeOnly) continue
    if (valuesEqual(types[name] as CtyType, prior[name] ?? null, planned[name] ?? null)) continue
    changed = true
    if (spec?.requiresReplace) requiresReplace.push(attributePath(name))
  }
  if (requiresReplace.length > 0) unknownComputed(false)
  else if (changed) unknownComputed(true)
  return { planned, requiresReplace }
}

/** Copy of a record with every attribute and block of the schema present (null when missing). */
export function completeRecord(schema: BlockSchema, partial: Record<string, TfValue>): TfRecord {
  const result = record()
  for (const name of valueNames(schema)) result[name] = partial[name] ?? null
  return result
}
