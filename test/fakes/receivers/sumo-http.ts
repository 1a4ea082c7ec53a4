// Fake Sumo Logic HTTP Logs Source: `POST /receiver/v1/http/<code>` with lines of text, gzip or deflate,
// the X-Sumo-* metadata headers, Sumo's status codes, and its two quiet ways to lose data (the 200 of an
// Ingest Budget stop, the 408 of a timed-out upload). The README in this folder lists the contract.

import { randomBytes } from 'node:crypto'
import { decodeBody, type BodyEncoding } from './body-encoding.js'
import { defaultEventId, type EventIdReader } from './event-id.js'
import { FakeReceiver, type AnsweredFault, type ReceiverOptions } from './fake-receiver.js'
import { proxyErrorPage, textReply, type Exchange, type Reply } from './http-exchange.js'

export type SumoRoute = 'ingest'

/** Sumo's documented ceiling for one POST, uncompressed: "up to but not exceeding 1MB", read as 10^6 bytes. */
export const SUMO_MAX_UNCOMPRESSED_BYTES = 1_000_000

export interface FakeSumoHttpOptions extends ReceiverOptions {
  /** The secret last path segment of the source URL. Default: random. */
  code?: string
  /** Reads a stored line's event id; gets the line parsed as JSON (undefined when it is not JSON) and the raw line. Default: `id`, else `event_id`. */
  eventId?: EventIdReader<{ line: string }>
  /** Requests above this many uncompressed bytes are flagged (still ingested). Default 1,000,000. */
  maxUncompressedBytes?: number
}

export interface SumoBatch {
  requestSeq: number
  /** X-Sumo-Name, X-Sumo-Category, X-Sumo-Host as sent. */
  name?: string
  category?: string
  host?: string
  /** X-Sumo-Fields parsed (`k=v,k2=v2`). */
  fields: Record<string, string>
  encoding: BodyEncoding
  bodyBytes: number
  uncompressedBytes: number
  /** Over the 1 MB ceiling (also listed in violations). */
  overLimit: boolean
  /** Lines in the request. */
  lineCount: number
  /** Lines that were ingested: all, none (`dropNext`), or the kept prefix (`timeoutNext`). */
  ingestedLines: number
  /** The lines (empty with `retainEvents: false`). */
  lines: string[]
  /** 200 but nothing ingested (an Ingest Budget stop), or 408 (upload timed out). */
  lost?: 'budget' | 'timeout'
}

export class FakeSumoHttp extends FakeReceiver<SumoRoute> {
  readonly kind = 'sumo_http'
  readonly code: string
  readonly batches: SumoBatch[] = []
  private readonly eventId: EventIdReader<{ line: string }>
  private readonly maxUncompressedBytes: number
  private readonly quietLosses: Array<{ kind: 'budget' | 'timeout'; keepLines: number; remaining: number }> = []

  constructor(opts: FakeSumoHttpOptions = {}) {
    super('ingest', opts)
    this.code = opts.code ?? randomBytes(48).toString('base64url')
    this.eventId = opts.eventId ?? ((parsed) => defaultEventId(parsed))
    this.maxUncompressedBytes = opts.maxUncompressedBytes ?? SUMO_MAX_UNCOMPRESSED_BYTES
  }

  /** The full source URL, code included: `http://127.0.0.1:<port>/receiver/v1/http/<code>`. */
  get url(): string {
    return `${this.origin}/receiver/v1/http/${this.code}`
  }

  /** Every ingested line, in order. */
  lines(): string[] {
    return this.batches.flatMap((b) => b.lines.slice(0, b.ingestedLines))
  }

  /** Batches over the 1 MB ceiling. */
  oversizedBatches(): SumoBatch[] {
    return this.batches.filter((b) => b.overLimit)
  }

  /** The next `count` requests answer 200 and ingest nothing, as an Ingest Budget stop does. */
  dropNext(count = 1): void {
    this.queueLoss('budget', 0, count)
  }

  /** The next `count` requests answer 408 after ingesting only their first `keepLines` lines (default 0). */
  timeoutNext(count = 1, opts: { keepLines?: number } = {}): void {
    this.queueLoss('timeout', opts.keepLines ?? 0, count)
  }

  protected match(ex: Exchange): SumoRoute | undefined {
    if (!/^\/receiver\/v1\/http(\/[^/]*)?\/?$/.test(ex.url.pathname)) return undefined
    ex.loggedPath = '/receiver/v1/http/{code}'
    return 'ingest'
  }

  protected process(ex: Exchange, body: Buffer): Reply {
    const code = /^\/receiver\/v1\/http\/([^/]+)/.exec(ex.url.pathname)?.[1]
    if (code !== this.code) return textReply(401, 'Unauthorized: the HTTP source URL token is missing or invalid', {}, 'unknown source code')
    if (ex.method !== 'POST') return textReply(405, 'Method Not Allowed', { allow: 'POST' }, `${ex.method} on the source URL`)
    const decoded = decodeBody(body, ex.header('content-encoding'))
    if (!decoded.ok) return textReply(decoded.reason.includes('not supported') ? 415 : 400, decoded.reason, {}, decoded.reason)
    ex.decodedBytes = decoded.bytes.length
    if (decoded.encoding !== 'gzip') this.violation(ex, 'sumo.gzip', `body sent as ${decoded.encoding}, not gzip`)
    const overLimit = decoded.bytes.length > this.maxUncompressedBytes
    if (overLimit) this.violation(ex, 'sumo.size', `${decoded.bytes.length} bytes uncompressed, over ${this.maxUncompressedBytes}`)

    const lines = splitLines(decoded.bytes.toString('utf8'))
    const fieldsHeader = ex.header('x-sumo-fields')
    const loss = this.takeLoss()
    const ingested = loss ? Math.min(loss.keepLines, lines.length) : lines.length
    this.batches.push({
      requestSeq: ex.seq,
      ...optional('name', ex.header('x-sumo-name')),
      ...optional('category', ex.header('x-sumo-category')),
      ...optional('host', ex.header('x-sumo-host')),
      fields: fieldsHeader === undefined ? {} : this.parseFields(ex, fieldsHeader),
      encoding: decoded.encoding,
      bodyBytes: body.length,
      uncompressedBytes: decoded.bytes.length,
      overLimit,
      lineCount: lines.length,
      ingestedLines: ingested,
      lines: this.retainEvents ? lines : [],
      ...(loss ? { lost: loss.kind } : {}),
    })
    for (const line of lines.slice(0, ingested)) {
      const parsed = parseJson(line)
      this.storeEvent(ex, this.eventId(parsed, { line }), parsed ?? line)
    }
    if (loss?.kind === 'timeout') return textReply(408, 'Request Timeout: the upload did not complete in time; resend it', {}, 'timeout switch')
    return textReply(200, '')
  }

  protected faultReply(fault: AnsweredFault): Reply {
    switch (fault.kind) {
      case 'server_error':
        if (fault.status === 502 || fault.status === 504) return proxyErrorPage(fault.status)
        return textReply(fault.status, fault.status === 503 ? 'Service Unavailable' : 'Internal Server Error')
      case 'throttled':
        return textReply(429, 'Too Many Requests: the account is over its ingest rate; the data was dropped, resend it later', {
          'retry-after': String(fault.retryAfterSeconds),
        })
      case 'unauthorized':
        return textReply(401, 'Unauthorized: the HTTP source URL token is missing or invalid')
    }
  }

  protected notFound(): Reply {
    return textReply(404, 'Not Found')
  }

  protected clearKindRecords(): void {
    this.batches.length = 0
  }

  private parseFields(ex: Exchange, header: string): Record<string, string> {
    const fields: Record<string, string> = {}
    for (const pair of header.split(',')) {
      if (pair.trim() === '') continue
      const eq = pair.indexOf('=')
      if (eq <= 0) {
        this.violation(ex, 'sumo.fields', `X-Sumo-Fields entry ${JSON.stringify(pair)} is not key=value`)
        continue
      }
      fields[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim()
    }
    return fields
  }

  private queueLoss(kind: 'budget' | 'timeout', keepLines: number, count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a whole number ≥ 1, got ${count}`)
    this.quietLosses.push({ kind, keepLines, remaining: count })
  }

  private takeLoss(): { kind: 'budget' | 'timeout'; keepLines: number } | undefined {
    const next = this.quietLosses[0]
    if (!next) return undefined
    next.remaining -= 1
    if (next.remaining <= 0) this.quietLosses.shift()
    return next
  }
}

export async function startFakeSumoHttp(opts: FakeSumoHttpOptions = {}): Promise<FakeSumoHttp> {
  return new FakeSumoHttp(opts).start()
}

/** Lines of a body: split on LF, a CR before it dropped, empty lines (the final newline's too) skipped. */
function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line !== '')
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>)
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}
