// Checks the provider runs on its own answers before sending them. Terraform would reject the same
// mistakes with "Provider produced invalid plan" or "Provider produced inconsistent result after apply";
// catching them here names the attribute and fails our own tests first.

import { formatPath, type AttributePath } from './attribute-path.js'
import type { Diagnostic } from './diagnostics.js'
import { valueTypes, type BlockSchema } from './schema.js'
import { toAttributePath, valueAt, withoutWriteOnly, writeOnlyPaths } from './write-only.js'
import { valuesEqual } from '../tfvalue/equal.js'
import type { CtyType } from '../tfvalue/types.js'
import { containsUnknown, type TfRecord } from '../tfvalue/value.js'

function bug(typeName: string, what: string, path: AttributePath): Diagnostic {
  return {
    severity: 'error',
    summary: `openc2c provider bug: ${what}`,
    detail: `Resource ${typeName}, attribute ${formatPath(path)}. Please report this.`,
    path,
  }
}

function writeOnlyProblems(typeName: string, schema: BlockSchema, value: TfRecord, what: string): Diagnostic[] {
  return writeOnlyPaths(schema)
    .filter((path) => valueAt(value, path) !== null)
    .map((path) => bug(typeName, what, toAttributePath(path)))
}

/** A plan must keep every configured value (blocks as configured, write-only values aside) and plan
 * write-only attributes as null. */
export function checkPlan(typeName: string, schema: BlockSchema, config: TfRecord, planned: TfRecord | null): Diagnostic[] {
  if (planned === null) return []
  const problems = writeOnlyProblems(typeName, schema, planned, 'planned a value for a write-only attribute')
  const configured = withoutWriteOnly(schema, config)
  const types = valueTypes(schema)
  for (const [name, type] of Object.entries(types)) {
    const spec = schema.attributes[name]
    if (spec?.writeOnly) continue
    const configuredValue = configured[name] ?? null
    if ((!spec?.computed || configuredValue !== null) && !valuesEqual(type, configuredValue, planned[name] ?? null)) {
      problems.push(bug(typeName, 'planned value differs from the configuration', [{ attribute: name }]))
    }
  }
  return problems
}

/** After apply, every value known in the plan must come back unchanged, and nothing may stay unknown. */
export function checkApply(typeName: string, schema: BlockSchema, planned: TfRecord, applied: TfRecord): Diagnostic[] {
  const problems = writeOnlyProblems(typeName, schema, applied, 'state contains a write-only value')
  const appliedKnown = withoutWriteOnly(schema, applied) // write-only values are reported above, once
  for (const [name, type] of Object.entries(valueTypes(schema))) {
    const plannedValue = planned[name] ?? null
    const appliedValue = appliedKnown[name] ?? null
    if (containsUnknown(appliedValue)) problems.push(bug(typeName, 'new state contains an unknown value', [{ attribute: name }]))
    else if (!containsUnknown(plannedValue) && !valuesEqual(type as CtyType, plannedValue, appliedValue)) {
      problems.push(bug(typeName, 'applied value differs from the planned value', [{ attribute: name }]))
    }
  }
  return problems
}

/** State from a read or import must be wholly known and free of write-only values. */
export function checkState(typeName: string, schema: BlockSchema, state: TfRecord): Diagnostic[] {
  const problems = writeOnlyProblems(typeName, schema, state, 'state contains a write-only value')
  for (const name of Object.keys(valueTypes(schema))) {
    if (containsUnknown(state[name] ?? null)) problems.push(bug(typeName, 'state contains an unknown value', [{ attribute: name }]))
  }
  return problems
}
