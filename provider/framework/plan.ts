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
// Write-only attributes are always null in a plan: Terraform refuses a plan or state that contains them.

import { attributePath, type AttributePath } from './attribute-path.js'
import type { BlockSchema } from './schema.js'
import { valuesEqual } from '../tfvalue/equal.js'
import { UNKNOWN, record, type TfRecord, type TfValue } from '../tfvalue/value.js'

export interface PlannedChange {
  planned: TfRecord | null
  requiresReplace: AttributePath[]
}

export function planChange(schema: BlockSchema, prior: TfRecord | null, proposed: TfRecord | null, config: TfRecord | null): PlannedChange {
  if (proposed === null || config === null) return { planned: null, requiresReplace: [] }
  const planned = record(proposed)
  const attributes = Object.entries(schema.attributes)

  for (const [name, spec] of attributes) {
    if (spec.writeOnly) planned[name] = null
    else if (spec.default !== undefined && config[name] === null) planned[name] = spec.default
  }

  const unknownComputed = (keepStable: boolean): void => {
    for (const [name, spec] of attributes) {
      if (!spec.computed || spec.default !== undefined || config[name] !== null) continue
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
  for (const [name, spec] of attributes) {
    if (spec.writeOnly) continue
    const same = valuesEqual(spec.type, prior[name] ?? null, planned[name] ?? null)
    if (same) continue
    changed = true
    if (spec.requiresReplace) requiresReplace.push(attributePath(name))
  }
  if (requiresReplace.length > 0) unknownComputed(false)
  else if (changed) unknownComputed(true)
  return { planned, requiresReplace }
}

/** Copy of a record with every attribute of the schema present (null when missing). */
export function completeRecord(schema: BlockSchema, partial: Record<string, TfValue>): TfRecord {
  const result = record()
  for (const name of Object.keys(schema.attributes)) result[name] = partial[name] ?? null
  return result
}
