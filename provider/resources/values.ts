// Small conversions between Terraform values (TfRecord attributes) and API JSON.
//
// "Keep the prior representation": the API treats an empty string, an empty map and an absent field the
// same, but Terraform does not (null ≠ "" ≠ {}). When the API's value means the same as what the state
// holds, the state's spelling wins, so a read never invents a diff.

import { isRecord, isUnknown, record, type TfRecord, type TfValue } from '../tfvalue/value.js'

export function stringAttr(value: TfValue | undefined): string | null {
  return typeof value === 'string' ? value : null
}

export function numberAttr(value: TfValue | undefined): number | null {
  return typeof value === 'number' ? value : null
}

export function stringMapAttr(value: TfValue | undefined): Record<string, string> | null {
  if (!isRecord(value)) return null
  const out: Record<string, string> = Object.create(null)
  for (const [key, element] of Object.entries(value)) if (typeof element === 'string') out[key] = element
  return out
}

export function stringListAttr(value: TfValue | undefined): string[] | null {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null
}

export function stringRecord(values: Record<string, string>): TfRecord {
  return record(Object.entries(values))
}

/** A string from the API, spelled as the prior state spells "nothing" (null or ""). */
export function keepEmptyString(apiValue: unknown, prior: TfValue | undefined): string | null {
  const value = typeof apiValue === 'string' ? apiValue : ''
  if (value === '') return prior === '' ? '' : null
  return value
}

/** A string map from the API; empty or absent reads as the prior's null or {}. */
export function keepEmptyMap(apiValue: Record<string, string> | null | undefined, prior: TfValue | undefined): TfRecord | null {
  const entries = Object.entries(apiValue ?? {})
  if (entries.length === 0) return isRecord(prior) && Object.keys(prior).length === 0 ? record() : null
  return record(entries.map(([k, v]) => [k, String(v)]))
}

/** Known and not null: what validation may look at. */
export function isSet(value: TfValue | undefined): boolean {
  return value !== null && value !== undefined && !isUnknown(value)
}

/** Empty strings and maps are left out of API bodies, as the Sumo provider does (omitempty). */
export function omitEmpty<T extends Record<string, unknown>>(body: T): T {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined || value === '') continue
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue
    out[key] = value
  }
  return out as T
}
