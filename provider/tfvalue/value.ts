// In-memory representation of Terraform values.
//
//   null            null of any type
//   Unknown         a value known only after apply (msgpack extension), possibly with refinements
//   string/boolean  string and bool
//   number          number; cty numbers are arbitrary precision, we keep IEEE doubles (ids, counts and
//                   hours in this provider stay far below 2^53)
//   TfValue[]       list, set (order carries no meaning) and tuple
//   TfRecord        map and object, always a null-prototype record so any key (even "__proto__") is data
//   TypedValue      a value of a "dynamic" attribute, which carries its own type

import type { CtyType } from './types.js'

/** Refinements Terraform may attach to an unknown value (msgpack extension 12); all optional. */
export interface Refinements {
  /** true: definitely null; false: definitely not null. */
  nullness?: boolean
  stringPrefix?: string
  numberLower?: { value: number; inclusive: boolean }
  numberUpper?: { value: number; inclusive: boolean }
  lengthLower?: number
  lengthUpper?: number
}

export class Unknown {
  constructor(readonly refinements: Refinements = {}) {}

  get isRefined(): boolean {
    return Object.keys(this.refinements).length > 0
  }
}

/** The plain unknown (extension 0), used for computed attributes in plans. */
export const UNKNOWN = new Unknown()

export class TypedValue {
  constructor(
    readonly type: CtyType,
    readonly value: TfValue,
  ) {}
}

export type TfValue = null | Unknown | string | number | boolean | TfValue[] | TfRecord | TypedValue

export interface TfRecord {
  [key: string]: TfValue
}

/** A null-prototype record, so keys like "__proto__" or "constructor" are ordinary entries. */
export function record(entries?: Iterable<readonly [string, TfValue]> | Record<string, TfValue>): TfRecord {
  const result: TfRecord = Object.create(null)
  if (!entries) return result
  const pairs = Symbol.iterator in entries ? (entries as Iterable<readonly [string, TfValue]>) : Object.entries(entries)
  for (const [key, value] of pairs) result[key] = value
  return result
}

export function isUnknown(value: TfValue | undefined): value is Unknown {
  return value instanceof Unknown
}

export function isRecord(value: TfValue | undefined): value is TfRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Unknown) && !(value instanceof TypedValue)
}

/** True when the value or anything nested in it is unknown. */
export function containsUnknown(value: TfValue | undefined): boolean {
  if (value instanceof Unknown) return true
  if (value instanceof TypedValue) return containsUnknown(value.value)
  if (Array.isArray(value)) return value.some(containsUnknown)
  if (isRecord(value)) return Object.values(value).some(containsUnknown)
  return false
}
