// One place that turns every failure into the API's error body. Bad input is always a 4xx that
// names the field; only our own faults become 5xx, and their details stay in the log.
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ApiError, Errors, errorBody } from '../errors.js'
import { formatAjvErrors } from '../../validation.js'

const BODY_LIMIT = 1024 * 1024

export const errorsPlugin = fp(async function errorsPlugin(app: FastifyInstance) {
  // JSON only. Clients such as the Sumo Terraform provider send `Content-Type: application/json`
  // with an empty body on GET and DELETE, which Fastify's default parser rejects; empty means none.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text, checkJsonValue))
    } catch (err) {
      done(err instanceof ApiError ? err : Errors.invalidJson((err as Error).message), undefined)
    }
  })

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const apiError = toApiError(error, request.method)
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

// `__proto__` keys in JSON can't pollute anything we do, but rejecting them keeps stored data plain.
// Postgres text cannot hold U+0000, so a string containing it would fail at the database instead of
// being rejected as bad input.
function checkJsonValue(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw Errors.invalidField('json.invalid', '$', `contains the reserved key "${key}"`)
  }
  if ((typeof value === 'string' && value.includes('\0')) || key.includes('\0')) {
    throw Errors.invalidField('json.invalid', '$', `holds a NUL character (U+0000) in ${JSON.stringify(key || 'a value')}, which cannot be stored`)
  }
  return value
}

function toApiError(error: FastifyError | ApiError, method: string): ApiError {
  if (error instanceof ApiError) return error
  const fe = error as FastifyError & { validation?: Parameters<typeof formatAjvErrors>[0]; validationContext?: string }
  if (fe.validation) {
    const part = fe.validationContext ?? 'body'
    const root = part === 'body' ? '$' : part === 'querystring' ? 'query' : part === 'params' ? 'path' : part
    const issues = formatAjvErrors(fe.validation, root)
    return Errors.validation(part === 'body' ? 'collectors.validation.body.invalid' : `collectors.validation.${part}.invalid`, issues)
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
