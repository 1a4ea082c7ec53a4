// Value equality under Terraform's rules: sets compare without order, objects and maps by key, and an
// unknown equals nothing but another unknown (two unknowns may still end up different after apply, but for
// "did the plan keep this value" checks an unknown kept as unknown is what we want).

import type { CtyType } from './types.js'
import { TypedValue, Unknown, isRecord, type TfValue } from './value.js'

export function valuesEqual(type: CtyType, a: TfValue, b: TfValue): boolean {
  if (a === null || b === null) return a === b
  if (a instanceof Unknown || b instanceof Unknown) return a instanceof Unknown && b instanceof Unknown
  if (type === 'dynamic') {
    if (!(a instanceof TypedValue) || !(b instanceof TypedValue)) return false
    return JSON.stringify(a.type) === JSON.stringify(b.type) && valuesEqual(a.type, a.value, b.value)
  }
  if (typeof type === 'string') return a === b
  const [kind, argument] = type
  switch (kind) {
    case 'list':
      return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(argument, x, b[i] as TfValue))
    case 'tuple':
      return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => valuesEqual(argument[i] as CtyType, x, b[i] as TfValue))
    case 'set': {
      if (!Array.isArray(a) || !Array.isArray(b)) return false
      return a.every((x) => b.some((y) => valuesEqual(argument, x, y))) && b.every((y) => a.some((x) => valuesEqual(argument, x, y)))
    }
    case 'map': {
      if (!isRecord(a) || !isRecord(b)) return false
      const keys = Object.keys(a)
      return keys.length === Object.keys(b).length && keys.every((k) => k in b && valuesEqual(argument, a[k] as TfValue, b[k] as TfValue))
    }
    case 'object': {
      if (!isRecord(a) || !isRecord(b)) return false
      return Object.keys(argument).every((k) => valuesEqual(argument[k] as CtyType, a[k] ?? null, b[k] ?? null))
    }
  }
}
