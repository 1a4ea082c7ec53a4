// Fake generic webhook: the receiver side of openc2c's own NDJSON contract. It checks the optional HMAC
// signature against a key given to it, requires the batch id, and counts batches that arrive again (a
// retry must reuse the id and the exact body). The README in this folder lists the contract.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { decodeBody, type BodyEncoding } from './body-encoding.js'
import { defaultEventId, type EventIdReader } from './event-id.js'
import { FakeReceiver, type AnsweredFault, type ReceiverOptions } from './fake-receiver.js'
import { jsonReply, proxyErrorPage, type Exchange, type Reply } from './http-exchange.js'
import { loggableHeaders } from './request-log.js'

export type WebhookRoute = 'ingest'

export const SIGNATURE_HEADER = 'x-openc2c-signature'
export const BATCH_ID_HEADER = 'x-openc2c-batch-id'

export interface FakeWebhookOptions extends ReceiverOptions {
  /** The one path that takes POSTs. Default `/events`. */
  path?: string
  /** When set, every request must carry `X-Openc2c-Signature: sha256=<hex HMAC-SHA256 of the body as sent>`. */
  signingKey?: string | Buffer
  /** Headers that must arrive with exactly these values (the destination's custom headers); else 401. */
  requiredHeaders?: Record<string, string>
  /** Reads an event's id. Default: `id`, else `event_id`. */
  eventId?: EventIdReader<undefined>
}

export interface WebhookBatch {
  requestSeq: number
  batchId: string
  encoding: BodyEncoding
  /** sha256 of the decoded body: a retry of a batch must carry the same bytes. */
  bodySha256: string
  eventCount: number
  /** The events (empty with `retainEvents: false`). */
  events: unknown[]
  /** Headers as logged (Authorization reduced to its scheme). */
  headers: Record<string, string>
  /** Whether a valid signature came with it ('absent' only when no key is configured). */
  signature: 'valid' | 'absent'
}

export class FakeWebhook extends FakeReceiver<WebhookRoute> {
  readonly kind = 'webhook'
  readonly path: string
  /** Every accepted batch, repeats included. */
  readonly batches: WebhookBatch[] = []
  private readonly signingKey: Buffer | undefined
  private readonly requiredHeaders: Array<[string, string]>
  private readonly eventId: EventIdReader<undefined>

  constructor(opts: FakeWebhookOptions = {}) {
    super('ingest', opts)
    this.path = opts.path ?? '/events'
    this.signingKey = opts.signingKey === undefined ? undefined : Buffer.from(opts.signingKey)
    this.requiredHeaders = Object.entries(opts.requiredHeaders ?? {}).map(([name, value]) => [name.toLowerCase(), value])
    this.eventId = opts.eventId ?? ((event) => defaultEventId(event))
  }

  /** The full URL a destination posts to. */
  get url(): string {
    return `${this.origin}${this.path}`
  }

  /** `sha256=<hex>` for a body with the configured key: what a correct sender puts in X-Openc2c-Signature. */
  signatureFor(body: Buffer | string): string {
    if (!this.signingKey) throw new Error('this fake webhook has no signingKey')
    return `sha256=${createHmac('sha256', this.signingKey).update(body).digest('hex')}`
  }

  /** How many accepted requests carried each batch id. */
  batchIdCounts(): Map<string, number> {
    const counts = new Map<string, number>()
    for (const batch of this.batches) counts.set(batch.batchId, (counts.get(batch.batchId) ?? 0) + 1)
    return counts
  }

  /** Batch ids accepted more than once (a retry after a lost answer), in first-seen order. */
  repeatedBatchIds(): string[] {
    return [...this.batchIdCounts()].filter(([, n]) => n > 1).map(([id]) => id)
  }

  protected match(ex: Exchange): WebhookRoute | undefined {
    return ex.url.pathname === this.path ? 'ingest' : undefined
  }

  protected process(ex: Exchange, body: Buffer): Reply {
    if (ex.method !== 'POST') return problem(405, `${ex.method} is not accepted; POST NDJSON`, { allow: 'POST' })
    for (const [name, value] of this.requiredHeaders) {
      if (ex.header(name) !== value) return problem(401, `header ${name} is ${ex.header(name) === undefined ? 'missing' : 'wrong'}`)
    }
    const signature = this.checkSignature(ex, body)
    if (signature.denied) return signature.denied
    const contentType = (ex.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (contentType !== 'application/x-ndjson') return problem(415, `Content-Type must be application/x-ndjson, got ${ex.header('content-type') ?? 'none'}`)
    const batchId = ex.header(BATCH_ID_HEADER)?.trim()
    if (!batchId) return problem(400, 'header X-Openc2c-Batch-Id is required')
    const decoded = decodeBody(body, ex.header('content-encoding'))
    if (!decoded.ok) return problem(decoded.reason.includes('not supported') ? 415 : 400, decoded.reason)
    ex.decodedBytes = decoded.bytes.length

    const parsed = this.parseEvents(ex, decoded.bytes.toString('utf8'))
    if (!parsed.ok) return problem(400, parsed.reason)
    const bodySha256 = createHash('sha256').update(decoded.bytes).digest('hex')
    const earlier = this.batches.find((b) => b.batchId === batchId)
    if (earlier && earlier.bodySha256 !== bodySha256) {
      this.violation(ex, 'webhook.batch_id', `batch ${batchId} came again with a different body (first in request ${earlier.requestSeq})`)
    }
    this.batches.push({
      requestSeq: ex.seq,
      batchId,
      encoding: decoded.encoding,
      bodySha256,
      eventCount: parsed.events.length,
      events: this.retainEvents ? parsed.events : [],
      headers: loggableHeaders(ex.req.headers),
      signature: signature.state,
    })
    for (const event of parsed.events) this.storeEvent(ex, this.eventId(event, undefined), event)
    return jsonReply(200, { accepted: parsed.events.length, batchId })
  }

  protected faultReply(fault: AnsweredFault): Reply {
    switch (fault.kind) {
      case 'server_error':
        if (fault.status === 502 || fault.status === 504) return proxyErrorPage(fault.status)
        return problem(fault.status, fault.status === 503 ? 'service unavailable' : 'internal error')
      case 'throttled':
        return problem(429, 'too many requests', { 'retry-after': String(fault.retryAfterSeconds) })
      case 'unauthorized':
        return problem(401, 'unauthorized')
    }
  }

  protected notFound(ex: Exchange): Reply {
    return problem(404, `no webhook at ${ex.url.pathname}`)
  }

  protected clearKindRecords(): void {
    this.batches.length = 0
  }

  private checkSignature(ex: Exchange, body: Buffer): { state: 'valid' | 'absent'; denied?: Reply } {
    if (!this.signingKey) return { state: 'absent' }
    const sent = ex.header(SIGNATURE_HEADER)
    if (sent === undefined) return { state: 'absent', denied: problem(401, 'header X-Openc2c-Signature is required') }
    const m = /^sha256=([0-9a-f]{64})$/i.exec(sent.trim())
    if (!m) return { state: 'absent', denied: problem(401, 'X-Openc2c-Signature must be sha256=<64 hex digits>') }
    const expected = createHmac('sha256', this.signingKey).update(body).digest()
    const given = Buffer.from((m[1] as string).toLowerCase(), 'hex')
    if (!timingSafeEqual(expected, given)) return { state: 'absent', denied: problem(401, 'X-Openc2c-Signature does not match the body') }
    return { state: 'valid' }
  }

  private parseEvents(ex: Exchange, text: string): { ok: true; events: unknown[] } | { ok: false; reason: string } {
    if (text !== '' && !text.endsWith('\n')) this.violation(ex, 'webhook.final_newline', 'the last NDJSON line has no newline')
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    const events: unknown[] = []
    for (const [i, line] of lines.entries()) {
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        return { ok: false, reason: `line ${i + 1} is not JSON` }
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: `line ${i + 1} is not a JSON object` }
      events.push(value)
    }
    if (events.length === 0) return { ok: false, reason: 'the body holds no events' }
    return { ok: true, events }
  }
}

export async function startFakeWebhook(opts: FakeWebhookOptions = {}): Promise<FakeWebhook> {
  return new FakeWebhook(opts).start()
}

function problem(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { error: message }, headers, message)
}
