// JSON-schema validation shared by the HTTP layer and the source-type registry, with errors turned
// into `{path, message}` pairs whose path is a JSONPath into the request (`$.source.config.apiKey`).
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { ValidationIssue } from '../schemas/error-body.js'

/** A schema may carry a friendlier message for pattern/length failures. */
export const ERROR_MESSAGE_KEYWORD = 'x-error-message'

function createAjv(options: Options): Ajv {
  // verbose: errors carry their schema, which holds x-error-message and the list of known properties.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true, ...options })
  ;(addFormats as unknown as (a: Ajv) => Ajv)(ajv)
  ajv.addKeyword({ keyword: ERROR_MESSAGE_KEYWORD, schemaType: 'string' })
  return ajv
}

/** Bodies are validated strictly: a number where a string belongs is an error, never coerced. */
export const bodyAjv = createAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false })
/** Query strings and path params are text on the wire, so they are coerced to their declared types. */
export const paramsAjv = createAjv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false })

export function compileBodySchema(schema: object): ValidateFunction {
  return bodyAjv.compile(schema)
}

export function jsonPath(root: string, segments: readonly (string | number)[]): string {
  let out = root
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_$][A-Za-z0-9_$.]*$/.test(segment) && !segment.includes('.')) out += `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

/** Turns ajv errors into one issue per offending value, most specific first. */
export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined, root: string): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const seen = new Set<string>()
  for (const error of errors ?? []) {
    // anyOf/oneOf summaries repeat what the branch errors already said.
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue
    const segments = pointerSegments(error.instancePath)
    let message: string
    switch (error.keyword) {
      case 'required':
        segments.push((error.params as { missingProperty: string }).missingProperty)
        message = 'is required'
        break
      case 'additionalProperties': {
        segments.push((error.params as { additionalProperty: string }).additionalProperty)
        const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
        message = allowed.length > 0 ? `is not a known field; accepted fields: ${allowed.join(', ')}` : 'is not allowed here'
        break
      }
      case 'enum':
        message = `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
        break
      case 'const':
        message = `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`
        break
      case 'type':
        message = `must be ${describeType((error.params as { type: string | string[] }).type)}`
        break
      default: {
        const custom = (error.parentSchema as Record<string, unknown> | undefined)?.[ERROR_MESSAGE_KEYWORD]
        message = typeof custom === 'string' && ['pattern', 'minLength', 'maxLength', 'format'].includes(error.keyword)
          ? custom
          : (error.message ?? 'is invalid')
      }
    }
    const issue = { path: jsonPath(root, segments), message }
    const key = `${issue.path}\0${issue.message}`
    if (!seen.has(key)) {
      seen.add(key)
      issues.push(issue)
    }
  }
  return dropShadowedTypeErrors(issues)
}

function describeType(type: string | string[]): string {
  const names = (Array.isArray(type) ? type : type.split(',')).map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'an object' : t === 'array' ? 'an array' : `a ${t}`))
  return names.join(' or ')
}

// A nullable field that fails yields "must be a string" and "must be a null" for one path; merge them.
function dropShadowedTypeErrors(issues: ValidationIssue[]): ValidationIssue[] {
  const byPath = new Map<string, ValidationIssue[]>()
  for (const issue of issues) byPath.set(issue.path, [...(byPath.get(issue.path) ?? []), issue])
  const out: ValidationIssue[] = []
  for (const [path, list] of byPath) {
    const types = list.filter((i) => i.message.startsWith('must be a') && !i.message.includes(' or '))
    if (types.length > 1) {
      out.push({ path, message: `must be ${types.map((t) => t.message.slice('must be '.length)).join(' or ')}` })
      out.push(...list.filter((i) => !types.includes(i)))
    } else out.push(...list)
  }
  return out
}
