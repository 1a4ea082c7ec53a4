// Every error the API answers with, in the Collector Management API's shape
// `{status, id, code, message, errors?}` (docs/sumo-collector-api.md §7). Codes are dotted lower case
// like Sumo's; the ones Sumo documents are reused verbatim because clients branch on them
// (the Terraform provider prunes state on 404 `collectors.*.invalid`).
import crypto from 'node:crypto'
import type { ErrorBody, ValidationIssue } from '../../schemas/error-body.js'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: ValidationIssue[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const Errors = {
  unauthorized: () =>
    new ApiError(401, 'unauthorized', 'Credential could not be verified.', undefined, { 'WWW-Authenticate': 'Basic realm="openc2c"' }),
  authThrottled: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      'rate.limit.exceeded',
      `Too many failed authentication attempts from this address; retry after ${retryAfterSeconds} s.`,
      undefined,
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  notFound: (method: string, url: string) => new ApiError(404, 'notfound', `No route ${method} ${url}.`),
  collectorNotFound: (id: string | number) =>
    new ApiError(404, 'collectors.collector.invalid', `The specified collector ID is invalid. No collector has id ${JSON.stringify(String(id))}.`),
  collectorNameNotFound: (name: string) =>
    new ApiError(404, 'collectors.collector.invalid', `The specified collector name is invalid. No collector is named ${JSON.stringify(name)}.`),
  sourceNotFound: (id: string | number) =>
    new ApiError(404, 'collectors.source.invalid', `The specified source ID is invalid. No source with id ${JSON.stringify(String(id))} in this collector.`),
  duplicateName: (kind: 'collector' | 'source', name: string, path: string) =>
    new ApiError(
      400,
      'collectors.validation.name.duplicate',
      kind === 'collector'
        ? `A collector named ${JSON.stringify(name)} already exists.`
        : `A source named ${JSON.stringify(name)} already exists in this collector.`,
      [{ path, message: 'must be unique' }],
    ),
  validation: (code: string, issues: ValidationIssue[]) =>
    new ApiError(400, code, issues.map((i) => `${i.path} ${i.message}`).join('; '), issues),
  invalidField: (code: string, path: string, message: string) =>
    new ApiError(400, code, `${path} ${message}`, [{ path, message }]),
  ifMatchRequired: () =>
    new ApiError(403, 'forbidden', 'The If-Match header is required: send the ETag of a GET of this resource.', [
      { path: 'header.If-Match', message: 'is required' },
    ]),
  preconditionFailed: () =>
    new ApiError(412, 'precondition.failed', 'The resource changed since the ETag in If-Match was read; GET it again and retry.', [
      { path: 'header.If-Match', message: 'does not match the current ETag' },
    ]),
  invalidJson: (detail: string) => new ApiError(400, 'json.invalid', `The request body is not valid JSON: ${detail}`, [{ path: '$', message: 'is not valid JSON' }]),
  unsupportedMediaType: (type: string) =>
    new ApiError(415, 'contenttype.invalid', `Content-Type ${JSON.stringify(type)} is not supported; send application/json.`, [
      { path: 'header.Content-Type', message: 'must be application/json' },
    ]),
  bodyTooLarge: (limit: number) => new ApiError(413, 'body.too.large', `The request body exceeds ${limit} bytes.`),
  methodNotAllowed: (method: string) => new ApiError(405, 'method.unsupported', `Method ${method} is not supported on this route.`),
  internal: () => new ApiError(500, 'internal.error', 'Internal server error.'),
  unavailable: (why: string) => new ApiError(503, 'service.unavailable', why),
}

const REQUEST_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** Sumo's request-id shape: three groups of five upper-case letters or digits. */
export function newErrorId(): string {
  const bytes = crypto.randomBytes(15)
  let out = ''
  for (let i = 0; i < 15; i++) {
    if (i > 0 && i % 5 === 0) out += '-'
    out += REQUEST_ID_ALPHABET[bytes[i]! % REQUEST_ID_ALPHABET.length]
  }
  return out
}

export function errorBody(error: ApiError): ErrorBody {
  const body: ErrorBody = { status: error.status, id: newErrorId(), code: error.code, message: error.message }
  if (error.issues && error.issues.length > 0) body.errors = error.issues
  return body
}
