// fast-check generators of Terraform types and of values of a given type (nulls and unknowns anywhere).

import fc from 'fast-check'
import type { CtyType } from '../../../provider/tfvalue/types.js'
import { record, Unknown, type Refinements, type TfValue } from '../../../provider/tfvalue/value.js'

// Attribute and key names include ones that break naive JS objects.
const names = fc.constantFrom('a', 'b', 'id', 'name', '__proto__', 'constructor', 'toString', 'ü', '')
const attributeNames = fc.constantFrom('a', 'b', 'id', 'name', '__proto__', 'constructor', 'x_y')

export const ctyType: fc.Arbitrary<CtyType> = fc.letrec<{ type: CtyType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<CtyType>('string', 'number', 'bool'),
    tie('type').map((t): CtyType => ['list', t]),
    tie('type').map((t): CtyType => ['set', t]),
    tie('type').map((t): CtyType => ['map', t]),
    fc.dictionary(attributeNames, tie('type'), { maxKeys: 4 }).map((attrs): CtyType => ['object', Object.assign(Object.create(null), attrs)]),
    fc.array(tie('type'), { maxLength: 3 }).map((ts): CtyType => ['tuple', ts]),
  ),
})).type

export const refinements: fc.Arbitrary<Refinements> = fc.record(
  {
    nullness: fc.boolean(),
    stringPrefix: fc.string(),
    numberLower: fc.record({ value: fc.integer(), inclusive: fc.boolean() }),
    lengthLower: fc.nat(100),
    lengthUpper: fc.nat(100),
  },
  { requiredKeys: [] },
)

export const unknownValue: fc.Arbitrary<Unknown> = fc.oneof(fc.constant(new Unknown()), refinements.map((r) => new Unknown(r)))

export const tfString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ minLength: 32, maxLength: 300 }))
export const tfNumber = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true }), fc.constantFrom(0, -1, 127, 128, 255, 256, 65535, 65536, 2 ** 32, -(2 ** 31) - 1, 2 ** 53 - 1))

export interface ValueOptions {
  nulls?: boolean
  unknowns?: boolean
}

/** A value of `type`; nulls and unknowns may appear at any depth unless switched off. */
export function valueOf(type: CtyType, options: ValueOptions = {}, depth = 0): fc.Arbitrary<TfValue> {
  const { nulls = true, unknowns = true } = options
  const special: Array<fc.Arbitrary<TfValue>> = []
  if (nulls) special.push(fc.constant(null))
  if (unknowns) special.push(unknownValue)
  const concrete = concreteOf(type, options, depth)
  return special.length ? fc.oneof({ weight: 4, arbitrary: concrete }, ...special.map((arbitrary) => ({ weight: 1, arbitrary }))) : concrete
}

function concreteOf(type: CtyType, options: ValueOptions, depth: number): fc.Arbitrary<TfValue> {
  if (type === 'string') return tfString
  if (type === 'number') return tfNumber
  if (type === 'bool') return fc.boolean()
  if (type === 'dynamic') return fc.constant(null)
  const [kind, argument] = type
  const maxLength = depth > 2 ? 2 : 5
  switch (kind) {
    case 'list':
    case 'set':
      return fc.array(valueOf(argument, options, depth + 1), { maxLength })
    case 'tuple':
      return fc.tuple(...argument.map((t) => valueOf(t, options, depth + 1)))
    case 'map':
      return fc.dictionary(names, valueOf(argument, options, depth + 1), { maxKeys: maxLength }).map((entries) => record(Object.entries(entries)))
    case 'object': {
      const attributeArbitraries = Object.keys(argument).map((name) => valueOf(argument[name] as CtyType, options, depth + 1).map((v) => [name, v] as const))
      return fc.tuple(...attributeArbitraries).map((entries) => record(entries))
    }
  }
}

/** A canonical plain tree for comparing values with toEqual (records → sorted plain objects, unknowns
 * → tagged objects). */
export function plain(value: TfValue): unknown {
  if (value instanceof Unknown) return { $unknown: value.refinements }
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object' && !('type' in value && 'value' in value && Object.getPrototypeOf(value) !== null)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) Object.defineProperty(out, key, { value: plain((value as Record<string, TfValue>)[key] as TfValue), enumerable: true })
    return out
  }
  return value
}
