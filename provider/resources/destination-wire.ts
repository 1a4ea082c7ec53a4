// openc2c_destination values ↔ the API's destination JSON.
//
// Secrets: the API answers every secret as "********", and a PUT carrying the mask keeps the stored
// value. The provider sends a write-only secret's real value when the destination is created, when
// `secrets_wo_version` changes, and when the service holds no value for it yet (a header or a signing key
// added since); any other update sends the mask. `stored_secrets` names the secrets the service holds.
//
// Reads keep the state's spelling of "nothing" (docs/terraform-provider.md, Read): a key the API leaves
// out and the contract's default mean the same, as do an absent filter and an empty one.

import { MASKED_SECRET } from '../client/sources-api.js'
import type { Destination } from '../../schemas/destination.js'
import { DiagnosticError } from '../framework/diagnostics.js'
import { isRecord, isUnknown, record, UNKNOWN, type TfRecord, type TfValue } from '../tfvalue/value.js'
import { CONTRACT, FILTER_FIELDS, KINDS, kindSpec, type KindField, type KindSpec } from './destination-schema.js'

export type WireDestination = Pick<Destination, 'name' | 'type' | 'enabled' | 'config' | 'filter' | 'startFrom'>
type WireBody = Omit<WireDestination, 'startFrom' | 'filter'> & { startFrom?: 'earliest' | 'now'; filter?: Record<string, unknown> }

/** `<block>.<attribute>`, or `<block>.<attribute>.<entry>` for each entry of a secret map. */
function secretName(spec: KindSpec, field: KindField, entry?: string): string {
  return entry === undefined ? `${spec.kind}.${field.attribute}` : `${spec.kind}.${field.attribute}.${entry}`
}

/** The secrets a configuration sets; UNKNOWN while one of them is not known yet. */
export function configuredSecretNames(config: TfRecord): TfValue {
  const names: string[] = []
  for (const spec of KINDS) {
    const block = config[spec.kind]
    if (isUnknown(block)) return UNKNOWN
    if (!isRecord(block)) continue
    for (const field of spec.fields) {
      if (!field.secret) continue
      const value = block[field.attribute] ?? null
      if (isUnknown(value)) return UNKNOWN
      if (typeof value === 'string') names.push(secretName(spec, field))
      else if (isRecord(value)) for (const entry of Object.keys(value)) names.push(secretName(spec, field, entry))
    }
  }
  return names.sort()
}

/** The secrets the service holds: the masked values of its answer. */
export function storedSecretNames(wire: Pick<Destination, 'type' | 'config'>): string[] {
  const spec = kindSpec(wire.type)
  if (!spec) return []
  const names: string[] = []
  for (const field of spec.fields) {
    if (!field.secret) continue
    const value = (wire.config as Record<string, unknown>)[field.wire]
    if (value === MASKED_SECRET) names.push(secretName(spec, field))
    else if (isPlainObject(value)) for (const [entry, v] of Object.entries(value)) if (v === MASKED_SECRET) names.push(secretName(spec, field, entry))
  }
  return names.sort()
}

/**
 * What to send for each secret: its value, or the mask that keeps what the service holds. `held` is the
 * service's current answer (on update); a secret it does not hold is always sent.
 */
export interface SecretChoice {
  sendValues: boolean
  held?: Pick<Destination, 'type' | 'config'>
}

function wireConfig(spec: KindSpec, block: TfRecord, choice: SecretChoice): Record<string, unknown> {
  const held = choice.held && choice.held.type === spec.kind ? new Set(storedSecretNames(choice.held)) : new Set<string>()
  const keep = (name: string): boolean => !choice.sendValues && held.has(name)
  const config: Record<string, unknown> = {}
  for (const field of spec.fields) {
    const value = block[field.attribute] ?? null
    if (value === null || isUnknown(value)) continue
    if (field.secret && typeof value === 'string') config[field.wire] = keep(secretName(spec, field)) ? MASKED_SECRET : value
    else if (field.secret && isRecord(value)) {
      config[field.wire] = Object.fromEntries(Object.entries(value).map(([entry, v]) => [entry, keep(secretName(spec, field, entry)) ? MASKED_SECRET : v]))
    } else config[field.wire] = Array.isArray(value) ? [...value] : value
  }
  return config
}

function wireFilter(filter: TfValue | undefined): Record<string, unknown> | undefined {
  if (!isRecord(filter)) return undefined
  const out: Record<string, unknown> = {}
  for (const field of FILTER_FIELDS) {
    const value = filter[field.attribute] ?? null
    if (value === null || isUnknown(value)) continue
    out[field.wire] = Array.isArray(value) ? [...value].sort(compareElements) : value
  }
  return out
}

function compareElements(a: TfValue, b: TfValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

/**
 * The API body for a planned destination. The kind's settings come from `config` (where the write-only
 * values are; the plan holds them as null), everything else from the plan.
 */
export function wireDestination(planned: TfRecord, config: TfRecord, choice: SecretChoice): WireBody {
  const type = String(planned.type)
  const spec = kindSpec(type)
  const block = spec ? config[spec.kind] : null
  const startFrom = planned.start_from
  const filter = wireFilter(planned.filter)
  return {
    name: String(planned.name),
    type: type as WireBody['type'],
    enabled: planned.enabled !== false,
    config: spec && isRecord(block) ? wireConfig(spec, block, choice) : {},
    ...(filter && { filter }),
    ...((startFrom === 'earliest' || startFrom === 'now') && { startFrom }),
  }
}

/** A config value as state; the contract's default and "absent" read as the prior's spelling. */
function stateValue(field: KindField, wireValue: unknown, prior: TfValue, defaultValue: unknown): TfValue {
  if (field.secret) return null
  const value: TfValue = wireValue === undefined || wireValue === null ? null : (wireValue as TfValue)
  const priorValue = prior ?? null
  if (defaultValue !== undefined) {
    const meansDefault = (v: TfValue): boolean => v === null || v === defaultValue
    if (meansDefault(value) && meansDefault(priorValue)) return priorValue
  }
  return value
}

function blockFromWire(spec: KindSpec, config: Record<string, unknown>, prior: TfValue | undefined): TfRecord {
  const priorBlock = isRecord(prior) ? prior : record()
  const rules = CONTRACT.configs[spec.kind]?.rules ?? {}
  return record(spec.fields.map((field) => [field.attribute, stateValue(field, config[field.wire], priorBlock[field.attribute] ?? null, rules[field.wire]?.default)]))
}

function filterFromWire(filter: Record<string, unknown> | undefined, prior: TfValue | undefined): TfRecord | null {
  const priorFilter = isRecord(prior) ? prior : null
  const values = record()
  let anything = false
  for (const field of FILTER_FIELDS) {
    const wire = filter?.[field.wire]
    const priorValue = priorFilter?.[field.attribute] ?? null
    if (Array.isArray(wire) && wire.length > 0) {
      values[field.attribute] = wire as TfValue[]
      anything = true
    } else if (typeof wire === 'string' && wire !== '') {
      values[field.attribute] = wire
      anything = true
    } else {
      // Absent and empty filter the same: keep how the state says it.
      const empty = Array.isArray(priorValue) ? priorValue.length === 0 : priorValue === ''
      values[field.attribute] = empty ? priorValue : null
    }
  }
  return anything || priorFilter ? values : null
}

/** State from the API's destination. Secrets are never read back: the write-only attributes are null, the
 * version stays what the state has, and `stored_secrets` says which secrets the service holds. */
export function destinationStateFromWire(wire: Destination, prior: TfRecord): TfRecord {
  const spec = kindSpec(wire.type)
  if (!spec) {
    throw new DiagnosticError({
      severity: 'error',
      summary: 'Unsupported destination type',
      detail: `Destination ${wire.id} has type "${wire.type}", which this provider does not know (it knows ${KINDS.map((k) => k.kind).join(', ')}). Upgrade the provider.`,
    })
  }
  const state = record({
    id: String(wire.id),
    name: wire.name,
    type: wire.type,
    enabled: wire.enabled,
    start_from: wire.startFrom,
    secrets_wo_version: prior.secrets_wo_version ?? null,
    stored_secrets: storedSecretNames(wire),
    state: wire.state?.state ?? null,
    filter: filterFromWire(wire.filter as Record<string, unknown> | undefined, prior.filter),
  })
  for (const kind of KINDS) state[kind.kind] = kind === spec ? blockFromWire(spec, wire.config ?? {}, prior[spec.kind]) : null
  return state
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
