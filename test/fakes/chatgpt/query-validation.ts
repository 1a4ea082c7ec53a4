// Request validation with FastAPI/pydantic semantics: every problem of a request is reported at once as a
// 422 `{"detail": [{type, loc, msg, input, ctx?}]}` (docs/logs-platform.md §2, §9). Messages copy pydantic v2's
// wording where it is well known; clients must not parse them.

import { COMPLIANCE_EVENT_TYPES, isComplianceEventType, type ComplianceEventType } from './event-types.js'
import type { ValidationIssue } from './http-replies.js'
import { parseIsoTimestamp, type EpochMicros } from './timestamps.js'

export interface ListLogsQuery {
  /** Distinct requested types, in request order. */
  types: ComplianceEventType[]
  afterMicros: EpochMicros
  beforeMicros?: EpochMicros
  limit: number
}

export const LIMIT_MIN = 1
export const LIMIT_MAX = 100
/** No default is documented; OpenAI's examples always send 100, so that is what an omitted limit means here. */
export const LIMIT_DEFAULT = 100

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] }

export function validateListLogsQuery(params: URLSearchParams): Validated<ListLogsQuery> {
  const issues: ValidationIssue[] = []
  const types = eventTypes(params, issues)
  const after = timestampParam(params, 'after', true, issues)
  const before = timestampParam(params, 'before', false, issues)
  const limit = limitParam(params, issues)
  if (issues.length > 0) return { ok: false, issues }
  return {
    ok: true,
    value: {
      types,
      afterMicros: after as EpochMicros,
      ...(before !== undefined ? { beforeMicros: before } : {}),
      limit,
    },
  }
}

export function validateMaxEventTimeQuery(params: URLSearchParams): Validated<ComplianceEventType[]> {
  const issues: ValidationIssue[] = []
  const types = eventTypes(params, issues)
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: types }
}

/**
 * The workspace id is a UUID path parameter (`format: uuid` in the Admin spec). Like pydantic, accept it with
 * or without hyphens and in any case; the result is the canonical lowercase hyphenated form.
 */
export function validateWorkspaceId(raw: string): Validated<string> {
  const hex = raw.replace(/^urn:uuid:/i, '').replace(/^\{(.*)\}$/, '$1')
  const compact = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(hex)
    ? hex.replace(/-/g, '')
    : /^[0-9a-fA-F]{32}$/.test(hex)
      ? hex
      : undefined
  if (compact === undefined) {
    return {
      ok: false,
      issues: [{ type: 'uuid_parsing', loc: ['path', 'workspace_id'], msg: 'Input should be a valid UUID, invalid format', input: raw, ctx: { error: 'invalid format' } }],
    }
  }
  const c = compact.toLowerCase()
  return { ok: true, value: `${c.slice(0, 8)}-${c.slice(8, 12)}-${c.slice(12, 16)}-${c.slice(16, 20)}-${c.slice(20)}` }
}

const EXPECTED_TYPES = COMPLIANCE_EVENT_TYPES.map((t) => `'${t}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')

function eventTypes(params: URLSearchParams, issues: ValidationIssue[]): ComplianceEventType[] {
  const values = params.getAll('event_type')
  if (values.length === 0) {
    issues.push(missing('event_type'))
    return []
  }
  const types: ComplianceEventType[] = []
  values.forEach((value, index) => {
    if (isComplianceEventType(value)) {
      if (!types.includes(value)) types.push(value)
    } else {
      issues.push({ type: 'enum', loc: ['query', 'event_type', index], msg: `Input should be ${EXPECTED_TYPES}`, input: value, ctx: { expected: EXPECTED_TYPES } })
    }
  })
  return types
}

function timestampParam(params: URLSearchParams, name: string, required: boolean, issues: ValidationIssue[]): EpochMicros | undefined {
  // A repeated scalar query parameter: the last value wins, as with Starlette's QueryParams.
  const values = params.getAll(name)
  const raw = values[values.length - 1]
  if (raw === undefined) {
    if (required) issues.push(missing(name))
    return undefined
  }
  const parsed = parseIsoTimestamp(raw)
  if (parsed.ok) return parsed.micros
  if (parsed.reason === 'no_timezone') {
    issues.push({ type: 'timezone_aware', loc: ['query', name], msg: 'Input should have timezone info', input: raw })
  } else {
    issues.push({ type: 'datetime_parsing', loc: ['query', name], msg: 'Input should be a valid datetime, invalid format', input: raw, ctx: { error: 'invalid format' } })
  }
  return undefined
}

function limitParam(params: URLSearchParams, issues: ValidationIssue[]): number {
  const values = params.getAll('limit')
  const raw = values[values.length - 1]
  if (raw === undefined) return LIMIT_DEFAULT
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    issues.push({ type: 'int_parsing', loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw })
    return LIMIT_DEFAULT
  }
  const limit = Number(raw.trim())
  if (limit < LIMIT_MIN) {
    issues.push({ type: 'greater_than_equal', loc: ['query', 'limit'], msg: `Input should be greater than or equal to ${LIMIT_MIN}`, input: raw, ctx: { ge: LIMIT_MIN } })
  } else if (limit > LIMIT_MAX) {
    issues.push({ type: 'less_than_equal', loc: ['query', 'limit'], msg: `Input should be less than or equal to ${LIMIT_MAX}`, input: raw, ctx: { le: LIMIT_MAX } })
  }
  return limit
}

function missing(name: string): ValidationIssue {
  return { type: 'missing', loc: ['query', name], msg: 'Field required', input: null }
}
