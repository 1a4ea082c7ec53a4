// Writing responses: JSON bodies, the two error shapes, and file bodies with back-pressure and the
// slow / truncated body faults. Every reply records itself in the request log exactly once.

import type { ServerResponse } from 'node:http'
import type { BodyFault, ErrorStyle } from './fault-switches.js'
import type { RecordedRequest } from './request-log.js'

/** One FastAPI/pydantic validation issue, as found in a 422 `detail` list. */
export interface ValidationIssue {
  type: string
  loc: Array<string | number>
  msg: string
  input: unknown
  ctx?: Record<string, unknown>
}

export type RecordOutcome = (status: number, fault?: RecordedRequest['fault']) => void

export class Reply {
  private recorded = false

  constructor(
    private readonly res: ServerResponse,
    private readonly recordOutcome: RecordOutcome,
    private readonly errorStyle: () => ErrorStyle,
    private readonly isHead = false,
  ) {}

  json(status: number, body: unknown, headers: Record<string, string> = {}, fault?: RecordedRequest['fault']): void {
    this.markRecorded(status, fault)
    const text = JSON.stringify(body)
    this.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    this.res.end(this.isHead ? undefined : text)
  }

  /** A 200 JSON body written through `stream`, so the slow / truncate faults apply to it too. */
  async jsonWithFault(body: unknown, fault: BodyFault | undefined): Promise<void> {
    if (!fault) return this.json(200, body)
    const bytes = Buffer.from(JSON.stringify(body))
    await this.stream(200, { 'content-type': 'application/json' }, bytes.length, [bytes], fault)
  }

  /** 4xx/5xx with `{"detail": message}` (or the OpenAI platform shape when that switch is on). */
  error(status: number, message: string, headers: Record<string, string> = {}, fault?: RecordedRequest['fault']): void {
    const body =
      this.errorStyle() === 'openai'
        ? { error: { message, type: openAiErrorType(status), param: null, code: openAiErrorCode(status) } }
        : { detail: message }
    this.json(status, body, headers, fault)
  }

  /** 422 with the FastAPI list shape; all issues of the request at once, as FastAPI reports them. */
  validation(issues: ValidationIssue[]): void {
    if (this.errorStyle() === 'openai') {
      const first = issues[0]
      const message = issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')
      const param = first ? String(first.loc[first.loc.length - 1]) : null
      this.json(422, { error: { message, type: 'invalid_request_error', param, code: first?.type ?? null } })
      return
    }
    this.json(422, { detail: issues })
  }

  /**
   * 500 and 503 come from the application (JSON); 502 and 504 come from the edge proxy in front of it,
   * which answers with an HTML page. A client must treat error bodies as opaque either way.
   */
  serverError(status: 500 | 502 | 503 | 504): void {
    if (status === 502 || status === 504) {
      const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out'
      this.text(status, `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`, 'text/html', 'server_error')
      return
    }
    this.error(status, status === 500 ? 'Internal Server Error' : 'Service Unavailable', {}, 'server_error')
  }

  text(status: number, body: string, contentType: string, fault?: RecordedRequest['fault']): void {
    this.markRecorded(status, fault)
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
    this.res.end(this.isHead ? undefined : body)
  }

  redirect(status: 307, location: string): void {
    this.markRecorded(status)
    this.res.writeHead(status, { location, 'content-length': 0 })
    this.res.end()
  }

  /**
   * Streams a body of known size. Waits for 'drain' between chunks so a slow reader never makes the fake
   * buffer the file; applies a slow or truncate fault when given.
   */
  async stream(status: number, headers: Record<string, string>, size: number, chunks: Iterable<Buffer>, fault?: BodyFault): Promise<void> {
    this.markRecorded(status, fault ? (fault.kind === 'slow' ? 'slow' : 'truncated') : undefined)
    const res = this.res
    res.writeHead(status, { ...headers, 'content-length': size })
    if (this.isHead) {
      res.end()
      return
    }
    const truncateAt = fault?.kind === 'truncate' ? truncationPoint(size, fault.afterBytes) : undefined
    const slow = fault?.kind === 'slow' ? fault : undefined
    let sent = 0
    for (const chunk of chunks) {
      if (res.destroyed) return
      let piece = chunk
      if (truncateAt !== undefined && sent + piece.length >= truncateAt) {
        piece = piece.subarray(0, truncateAt - sent)
        await cutAfter(res, piece)
        return
      }
      if (slow) {
        for (let offset = 0; offset < piece.length; offset += slow.chunkBytes) {
          if (res.destroyed) return
          if (!res.write(piece.subarray(offset, offset + slow.chunkBytes))) await drained(res)
          await sleep(slow.delayMs)
        }
      } else if (!res.write(piece)) {
        await drained(res)
      }
      sent += piece.length
    }
    if (truncateAt !== undefined) {
      // Truncation point at or past the end of the data (tiny body): still break the connection.
      await cutAfter(res, Buffer.alloc(0))
      return
    }
    res.end()
  }

  private markRecorded(status: number, fault?: RecordedRequest['fault']): void {
    if (this.recorded) throw new Error('reply sent twice')
    this.recorded = true
    this.recordOutcome(status, fault)
  }
}

function truncationPoint(size: number, afterBytes: number | undefined): number {
  const wanted = afterBytes ?? Math.floor(size / 2)
  // At least one byte short of the declared length, or it would not be a truncation; at least one byte sent
  // when there is room, so the client sees a body that starts and then breaks.
  return Math.max(Math.min(1, size - 1), Math.min(wanted, size - 1))
}

/** Writes the last bytes, waits until they left the process, then kills the connection mid-body. */
function cutAfter(res: ServerResponse, lastBytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const kill = (): void => {
      res.destroy()
      resolve()
    }
    if (lastBytes.length > 0) res.write(lastBytes, kill)
    else {
      // No body byte to send: push the headers out first so the client sees a started response.
      res.flushHeaders()
      setTimeout(kill, 20)
    }
  })
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function openAiErrorType(status: number): string {
  if (status === 401) return 'invalid_request_error'
  if (status === 403) return 'permission_error'
  if (status === 429) return 'requests'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

function openAiErrorCode(status: number): string | null {
  if (status === 401) return 'invalid_api_key'
  if (status === 403) return 'insufficient_scope'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limit_exceeded'
  return null
}
