// The `config` attribute of openc2c_cloud_to_cloud_source is a JSON string (usually from jsonencode).
// Two JSON texts are the same config when they parse to equal values, whatever the key order or
// whitespace; and a secret the API returns masked ("********") equals whatever the state holds there.

import { MASKED_SECRET } from '../client/sources-api.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function parseJsonObject(text: string): { [key: string]: Json } | undefined {
  try {
    const value = JSON.parse(text) as Json
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  }
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
}

/** The API's config with each masked secret replaced by the value the prior config has at the same path
 * (if any): the API never returns secrets, so the masked value says nothing about drift. */
export function unmask(apiValue: Json | undefined, prior: Json | undefined): Json | undefined {
  if (apiValue === MASKED_SECRET) return prior !== undefined && prior !== null && typeof prior !== 'object' ? prior : apiValue
  if (Array.isArray(apiValue)) {
    return apiValue.map((element, i) => unmask(element, Array.isArray(prior) ? prior[i] : undefined) as Json)
  }
  if (typeof apiValue === 'object' && apiValue !== null) {
    const priorObject = typeof prior === 'object' && prior !== null && !Array.isArray(prior) ? prior : undefined
    const out: { [key: string]: Json } = {}
    for (const [key, value] of Object.entries(apiValue)) setOwn(out, key, unmask(value, Object.hasOwn(priorObject ?? {}, key) ? priorObject![key] : undefined) as Json)
    return out
  }
  return apiValue
}

/**
 * JSON text as Terraform's jsonencode writes it (Go encoding/json): object keys sorted, no whitespace, and
 * <, >, &, U+2028, U+2029 escaped. Used when the state must take the API's config (drift, import), so a
 * config written with jsonencode compares equal as a string too.
 */
export function canonicalJson(value: Json): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value === 'object' && value !== null) {
    const out: { [key: string]: Json } = {}
    for (const key of Object.keys(value).sort()) setOwn(out, key, sortKeys(value[key] as Json))
    return out
  }
  return value
}

/** `out[key] = value` as an own property even for "__proto__" (JSON.parse makes it one; assignment would set the prototype). */
function setOwn(out: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
}
