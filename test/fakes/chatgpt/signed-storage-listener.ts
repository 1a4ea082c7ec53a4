// The "signed storage" listener that download redirects point at: `GET /_signed/{token}`.
//
// It behaves like a pre-signed blob URL rather than like the API: no API key, an expiry baked into the
// token, XML error bodies, and a request that also carries an Authorization header is refused (403) the way
// blob stores refuse two authentication mechanisms at once. That refusal is what catches a client that
// forwards its bearer token across the redirect.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ComplianceState } from './compliance-state.js'
import { takeFault } from './fault-switches.js'
import { Reply } from './http-replies.js'
import { bodyChunks } from './log-file-body.js'
import type { RecordedRequest } from './request-log.js'

const SIGNED_PATH = /^\/_signed\/([^/]+)$/

export function handleSignedRequest(state: ComplianceState, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fake.invalid')
  const match = SIGNED_PATH.exec(url.pathname)
  const token = match?.[1]
  const check = token === undefined ? undefined : state.signer.verify(token)
  const entry: Omit<RecordedRequest, 'seq' | 'at' | 'status' | 'fault'> = {
    listener: 'signed',
    method: req.method ?? 'GET',
    path: url.pathname,
    query: [...url.searchParams],
    route: match ? 'signed' : 'unmatched',
    template: match ? '/_signed/{token}' : url.pathname,
    authorization: req.headers.authorization !== undefined,
    ...(check?.ok ? { fileId: check.fileId } : {}),
  }
  const isHead = req.method === 'HEAD'
  const reply = new Reply(res, (status, fault) => state.log.record({ ...entry, status, ...(fault ? { fault } : {}) }), () => state.faults.errorStyle, isHead)
  const storageError = (status: number, code: string, message: string, fault?: RecordedRequest['fault']): void =>
    reply.text(status, `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`, 'application/xml', fault)

  if (!match || !check) return storageError(404, 'ResourceNotFound', 'The specified resource does not exist.')
  if (req.method !== 'GET' && !isHead) return storageError(405, 'UnsupportedHttpVerb', 'The resource does not support the specified HTTP verb.')

  const injected = takeFault(state.faults.responseFaults.signed)
  if (injected?.kind === 'server_error') {
    return storageError(injected.status, injected.status === 503 ? 'ServerBusy' : 'InternalError', 'The server encountered an internal error. Please retry the request.', 'server_error')
  }
  if (injected?.kind === 'rate_limited') {
    res.setHeader('retry-after', String(injected.retryAfterSeconds))
    return storageError(429, 'TooManyRequests', 'The request rate is too high. Please retry later.', 'rate_limited')
  }

  if (entry.authorization) {
    return storageError(403, 'InvalidAuthenticationInfo', 'This request is already authorized by its signature; an Authorization header is not allowed.')
  }
  if (!check.ok) return storageError(403, 'AuthenticationFailed', 'Signature did not match or the signed URL is malformed.')
  if (state.nowMs() >= check.expiresAtMs) {
    return storageError(403, 'AuthenticationFailed', `Signed URL expired at ${new Date(check.expiresAtMs).toISOString()}.`)
  }
  const file = state.catalog.get(check.fileId)
  if (!file) return storageError(404, 'BlobNotFound', 'The specified blob does not exist.')

  const bodyFault = takeFault(state.faults.bodyFaults.signed)
  reply
    .stream(
      200,
      { 'content-type': 'application/x-ndjson', 'content-disposition': `attachment; filename="${file.fileName}"` },
      file.size,
      bodyChunks(file.body),
      bodyFault,
    )
    .catch((err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))))
}
