// One place that turns every failure into the API's error body. Bad input is always a 4xx that
// names the field; only our own faults become 5xx, and their details stay in the log.
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError, Errors, errorBody } from '../api-error.js'
import type { ValidationIssue } from '../../../schemas/error-body.js'
import { formatAjvErrors, jsonPath } from '../../validation.js'

const BODY_LIMIT = 1024 * 1024

export const errorsPlugin = fp(async function errorsPlugin(app: FastifyInstance) {
  // JSON only. Clients such as the Sumo Terraform provider send `Content-Type: application/json`
  // with an empty body on GET and DELETE, which Fastify's default parser rejects; empty means none.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text === '') return done(null, undefined)
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      return done(Errors.invalidJson((err as Error).message), undefined)
    }
    const issues = unstorableText(value)
    if (issues.length > 0) return done(Errors.validation('json.invalid', issues), undefined)
    done(null, value)
  })

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const apiError = toApiError(error, request.method, request.routeOptions.url ?? request.url)
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: apiError.code, status: apiError.status }, 'request rejected')
    if (apiError.headers) void reply.headers(apiError.headers)
    return reply.code(apiError.status).type('application/json; charset=utf-8').send(errorBody(apiError))
  })

  app.setNotFoundHandler((request, reply) => {
    const apiError = Errors.notFound(request.method, request.url.split('?')[0] ?? '')
    return reply.code(404).type('application/json; charset=utf-8').send(errorBody(apiError))
  })
})

// Some valid JSON cannot be stored faithfully, so it is rejected here, naming the field, before any
// schema or handler sees it:
// - `__proto__` keys can't pollute anything we do, but rejecting them keeps stored data plain;
// - Postgres text cannot hold U+0000: the insert would fail (a 500) instead of a 400;
// - a lone UTF-16 surrogate (`"\ud800"` without its pair) is not Unicode text: encoded to UTF-8 it
//   silently becomes U+FFFD in text columns, and Postgres refuses it when it reads a json column.
// The walk is iterative: a deeply nested body must not overflow the stack.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_ISSUES = 10

function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'holds a NUL character (U+0000), which cannot be stored'
  if (!text.isWellFormed()) return 'holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape), which is not valid Unicode text'
  return undefined
}

/** Deeper paths are cut here, so that a pathologically nested body doesn't get a megabyte-long answer. */
const MAX_PATH_DEPTH = 32

interface Node {
  value: unknown
  parent: Node | undefined
  key: string | number | undefined
  /** Set when the key itself is the problem; its value is then not looked at. */
  keyProblem?: string
}

function issueAt(node: Node, problem: string, ofKey: boolean): ValidationIssue {
  const segments: (string | number)[] = []
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) segments.push(n.key)
  segments.reverse()
  if (segments.length > MAX_PATH_DEPTH) {
    const deeper = segments.length - MAX_PATH_DEPTH
    return { path: jsonPath('$', segments.slice(0, MAX_PATH_DEPTH)), message: `has, ${deeper} levels further in, a ${ofKey ? 'key' : 'value'} that ${problem}` }
  }
  return { path: jsonPath('$', segments), message: ofKey && !problem.startsWith('is ') ? `is a key that ${problem}` : problem }
}

/** The unstorable strings and keys of a parsed body, in document order (at most MAX_ISSUES). */
export function unstorableText(body: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const stack: Node[] = [{ value: body, parent: undefined, key: undefined }]
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const node = stack.pop()!
    const { value } = node
    if (node.keyProblem) {
      issues.push(issueAt(node, node.keyProblem, true))
    } else if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) issues.push(issueAt(node, problem, false))
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i })
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!
        const keyProblem = RESERVED_KEYS.has(key) ? 'is a reserved key name, not accepted' : textProblem(key)
        stack.push({ value: child, parent: node, key, ...(keyProblem ? { keyProblem } : {}) })
      }
    }
  }
  return issues
}

/** Validation codes name the resource family, as Sumo's do: `collectors.…`, and `destinations.…` for the extension. */
function family(route: string): string {
  return /^(\/api)?\/v1\/destinations(\/|$)/.test(route) ? 'destinations' : 'collectors'
}

function toApiError(error: FastifyError | ApiError, method: string, route: string): ApiError {
  if (error instanceof ApiError) return error
  const fe = error as FastifyError & { validation?: Parameters<typeof formatAjvErrors>[0]; validationContext?: string }
  if (fe.validation) {
    const part = fe.validationContext ?? 'body'
    const root = part === 'body' ? '$' : part === 'querystring' ? 'query' : part === 'params' ? 'path' : part
    const issues = formatAjvErrors(fe.validation, root)
    return Errors.validation(`${family(route)}.validation.${part}.invalid`, issues)
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? Errors.unsupportedMediaType(String((fe as { message: string }).message.split(': ').pop() ?? ''))
        : Errors.invalidField('contentlength.invalid', 'header.Content-Length', 'does not match the body')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.bodyTooLarge(BODY_LIMIT)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.invalidJson('the body is empty')
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return Errors.invalidField('url.invalid', 'url', 'is not a valid URL')
    default:
      break
  }
  if (isDatabaseUnavailable(error)) return Errors.unavailable('The database is unreachable; retry later.')
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500
  if (status === 405) return Errors.methodNotAllowed(method)
  if (status >= 400 && status < 500) return new ApiError(status, 'request.invalid', fe.message)
  return Errors.internal()
}

// Connection-level failures (server down, restarting, too many clients) are transient: 503 tells
// clients such as the Terraform provider to retry, unlike an internal error.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006'])

function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; errors?: unknown[] }
  if (e?.code && UNAVAILABLE_CODES.has(e.code)) return true
  if (Array.isArray(e?.errors) && e.errors.some(isDatabaseUnavailable)) return true // AggregateError (IPv4 + IPv6)
  return /Connection terminated|connect ECONNREFUSED/.test(e?.message ?? '')
}
