// Checks one value against a contract rule (a small JSON Schema subset taken from the shared schemas in
// schemas/), with the contract's own wording. The rules are read from TypeBox at build time and embedded
// as JSON (packaging/bundle.ts), so the provider carries them without TypeBox.

/** The JSON Schema keywords the provider's checker understands. */
export interface ContractRule {
  type?: string
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  enum?: unknown[]
  default?: unknown
  maxItems?: number
  /** Arrays: the rule of every element. */
  items?: ContractRule
  maxProperties?: number
  /** Maps (`patternProperties`): what every key must match, and the rule of every value. */
  keyPattern?: string
  values?: ContractRule
  'x-error-message'?: string
}

const KEYWORDS = ['type', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'enum', 'default', 'maxItems', 'maxProperties', 'x-error-message'] as const

/** The rule of one JSON Schema (as TypeBox builds them); keywords the checker does not know are left out. */
export function contractRule(schema: Record<string, unknown>): ContractRule {
  const rule: Record<string, unknown> = {}
  for (const keyword of KEYWORDS) if (schema[keyword] !== undefined) rule[keyword] = schema[keyword]
  if (isObject(schema.items)) rule.items = contractRule(schema.items)
  if (isObject(schema.patternProperties)) {
    const [pattern, value] = Object.entries(schema.patternProperties)[0] ?? []
    if (pattern !== undefined && isObject(value)) {
      rule.keyPattern = pattern
      rule.values = contractRule(value)
    }
  }
  return rule as ContractRule
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Compiled once per pattern: validation runs for every resource instance of a plan.
const patterns = new Map<string, RegExp>()

export function compiled(pattern: string): RegExp {
  let regexp = patterns.get(pattern)
  if (!regexp) patterns.set(pattern, (regexp = new RegExp(pattern, 'u')))
  return regexp
}

/**
 * Why the value breaks the rule, or undefined when it doesn't. A message never quotes a string value
 * (it may be a secret); an array's message quotes the element at fault, so arrays must not hold secrets.
 */
export function contractViolation(rule: ContractRule | undefined, value: unknown): string | undefined {
  if (!rule) return undefined
  const custom = rule['x-error-message']
  if (rule.enum !== undefined && !rule.enum.includes(value)) return custom ?? `must be one of ${rule.enum.map((v) => JSON.stringify(v)).join(', ')}`
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
  if (rule.type === 'array') {
    if (!Array.isArray(value)) return 'must be a list'
    if (rule.maxItems !== undefined && value.length > rule.maxItems) return custom ?? `must have at most ${rule.maxItems} elements`
    for (const element of value) {
      const problem = contractViolation(rule.items, element)
      if (problem) return `has ${JSON.stringify(element)}, which ${problem}`
    }
  }
  return undefined
}
