// API failures as Terraform diagnostics: the API's own message, its code and request id, and — for field
// errors — the attribute the JSONPath points at, so Terraform underlines the right line of HCL.

import { ApiAbortedError, ApiError, ApiUnreachableError } from '../client/api-error.js'
import { attributePath, type AttributePath } from '../framework/attribute-path.js'
import { DiagnosticError, type Diagnostic } from '../framework/diagnostics.js'

/** Maps the segments of an API JSONPath ("$.source.config.apiKey" → ["source","config","apiKey"]) to an
 * attribute path, or undefined when no attribute corresponds. */
export type JsonPathMapper = (segments: Array<string | number>) => AttributePath | undefined

export async function callApi<T>(action: string, mapPath: JsonPathMapper, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw apiDiagnosticError(error, action, mapPath)
  }
}

export function apiDiagnosticError(error: unknown, action: string, mapPath: JsonPathMapper): unknown {
  if (error instanceof ApiAbortedError) {
    return new DiagnosticError({
      severity: 'error',
      summary: `${action}: interrupted`,
      detail: `${error.message}. The change may or may not have reached the service; the next plan shows where things stand.`,
    })
  }
  if (error instanceof ApiUnreachableError) {
    return new DiagnosticError({
      severity: 'error',
      summary: `${action}: the openc2c service did not answer`,
      detail: `${error.message}. Check the provider's endpoint (or OPENC2C_ENDPOINT) and that the service is running.`,
    })
  }
  if (!(error instanceof ApiError)) return error
  const reference = `${error.request} answered ${error.status} ${error.code}${error.requestId ? ` (request id ${error.requestId})` : ''}`
  if (error.fieldErrors.length === 0) {
    return new DiagnosticError({ severity: 'error', summary: `${action}: ${error.apiMessage}`, detail: reference })
  }
  const diagnostics = error.fieldErrors.map((field): Diagnostic => {
    const path = mapPath(parseJsonPath(field.path))
    return {
      severity: 'error',
      summary: `${action}: ${field.message || error.apiMessage}`,
      detail: `${error.apiMessage}\n${field.path}: ${field.message}\n${reference}`,
      ...(path && { path }),
    }
  })
  return new DiagnosticError(diagnostics)
}

/** "$.a.b[2]['c d']" → ["a","b",2,"c d"]. Unparseable input yields what could be read. */
export function parseJsonPath(path: string): Array<string | number> {
  const segments: Array<string | number> = []
  const pattern = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(['"])(.*?)\3\]/g
  const body = path.startsWith('$') ? path.slice(1) : path
  let match: RegExpExecArray | null
  while ((match = pattern.exec(body)) !== null) {
    if (match[1] !== undefined) segments.push(match[1])
    else if (match[2] !== undefined) segments.push(Number(match[2]))
    else if (match[4] !== undefined) segments.push(match[4])
  }
  return segments
}

/**
 * A mapper from wire field names under an envelope prefix (e.g. ["source","config"]) to attribute names.
 * Deeper segments become element steps (a map key, a list index), except for `wholeAttributes`: a set
 * element has no index and a JSON string no inside that Terraform could point at, so the path stops there.
 */
export function fieldMapper(prefix: string[], table: Record<string, string>, options: { fallback?: string; wholeAttributes?: string[] } = {}): JsonPathMapper {
  return (segments) => {
    const fallback = options.fallback ? attributePath(options.fallback) : undefined
    if (!prefix.every((p, i) => segments[i] === p)) return fallback
    const [field, ...rest] = segments.slice(prefix.length)
    const attribute = typeof field === 'string' && Object.hasOwn(table, field) ? table[field] : undefined
    if (!attribute) return fallback
    return options.wholeAttributes?.includes(attribute) ? attributePath(attribute) : attributePath(attribute, ...rest)
  }
}
