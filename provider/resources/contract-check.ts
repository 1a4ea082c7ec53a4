// Checks one value against a contract rule (a small JSON Schema subset), with the contract's own wording.

import type { ContractRule } from './chatgpt-contract.js'

// Compiled once per pattern: validation runs for every resource instance of a plan.
const patterns = new Map<string, RegExp>()

function compiled(pattern: string): RegExp {
  let regexp = patterns.get(pattern)
  if (!regexp) patterns.set(pattern, (regexp = new RegExp(pattern, 'u')))
  return regexp
}

/** Why the value breaks the rule, or undefined when it doesn't. */
export function contractViolation(rule: ContractRule | undefined, value: unknown): string | undefined {
  if (!rule) return undefined
  const custom = rule['x-error-message']
  if (rule.type === 'string') {
    if (typeof value !== 'string') return 'must be a string'
    const length = [...value].length // JSON Schema counts code points
    if (rule.minLength !== undefined && length < rule.minLength) return custom ?? `must be at least ${rule.minLength} characters`
    if (rule.maxLength !== undefined && length > rule.maxLength) return custom ?? `must be at most ${rule.maxLength} characters`
    if (rule.pattern !== undefined && !compiled(rule.pattern).test(value)) return custom ?? `must match ${rule.pattern}`
  }
  if (rule.type === 'integer' || rule.type === 'number') {
    if (typeof value !== 'number' || (rule.type === 'integer' && !Number.isInteger(value))) return custom ?? `must be ${rule.type === 'integer' ? 'a whole number' : 'a number'}`
    if (rule.minimum !== undefined && value < rule.minimum) return custom ?? `must be at least ${rule.minimum}`
    if (rule.maximum !== undefined && value > rule.maximum) return custom ?? `must be at most ${rule.maximum}`
  }
  return undefined
}
