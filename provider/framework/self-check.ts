// Checks the provider runs on its own answers before sending them. Terraform would reject the same
// mistakes with "Provider produced invalid plan" or "Provider produced inconsistent result after apply";
// catching them here names the attribute and fails our own tests first.

import { formatPath, attributePath } from './attribute-path.js'
import type { Diagnostic } from './diagnostics.js'
import type { BlockSchema } from './schema.js'
import { valuesEqual } from '../tfvalue/equal.js'
import { containsUnknown, type TfRecord } from '../tfvalue/value.js'

function bug(typeName: string, what: string, name: string): Diagnostic {
  return {
    severity: 'error',
    summary: `openc2c provider bug: ${what}`,
    detail: `Resource ${typeName}, attribute ${formatPath(attributePath(name))}. Please report this.`,
    path: attributePath(name),
  }
}

/** A plan must keep every configured value and plan write-only attributes as null. */
export function checkPlan(typeName: string, schema: BlockSchema, config: TfRecord, planned: TfRecord | null): Diagnostic[] {
  if (planned === null) return []
  const problems: Diagnostic[] = []
  for (const [name, spec] of Object.entries(schema.attributes)) {
    const configured = config[name] ?? null
    const plannedValue = planned[name] ?? null
    if (spec.writeOnly) {
      if (plannedValue !== null) problems.push(bug(typeName, 'planned a value for a write-only attribute', name))
      continue
    }
    if ((!spec.computed || configured !== null) && !valuesEqual(spec.type, configured, plannedValue)) {
      problems.push(bug(typeName, 'planned value differs from the configuration', name))
    }
  }
  return problems
}

/** After apply, every value known in the plan must come back unchanged, and nothing may stay unknown. */
export function checkApply(typeName: string, schema: BlockSchema, planned: TfRecord, applied: TfRecord): Diagnostic[] {
  const problems: Diagnostic[] = []
  for (const [name, spec] of Object.entries(schema.attributes)) {
    const plannedValue = planned[name] ?? null
    const appliedValue = applied[name] ?? null
    if (containsUnknown(appliedValue)) problems.push(bug(typeName, 'new state contains an unknown value', name))
    else if (spec.writeOnly && appliedValue !== null) problems.push(bug(typeName, 'state contains a write-only value', name))
    else if (!containsUnknown(plannedValue) && !valuesEqual(spec.type, plannedValue, appliedValue)) {
      problems.push(bug(typeName, 'applied value differs from the planned value', name))
    }
  }
  return problems
}

/** State from a read or import must be wholly known and free of write-only values. */
export function checkState(typeName: string, schema: BlockSchema, state: TfRecord): Diagnostic[] {
  const problems: Diagnostic[] = []
  for (const [name, spec] of Object.entries(schema.attributes)) {
    const value = state[name] ?? null
    if (containsUnknown(value)) problems.push(bug(typeName, 'state contains an unknown value', name))
    if (spec.writeOnly && value !== null) problems.push(bug(typeName, 'state contains a write-only value', name))
  }
  return problems
}
