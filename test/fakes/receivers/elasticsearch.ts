// Fake Elasticsearch `_bulk` endpoint: NDJSON action/source pairs, per-item results, documents held per
// index by `_id` so a `create` of an id already there answers 409, and switches that fail chosen items.
// The README in this folder lists the contract it follows.

import { randomBytes } from 'node:crypto'
import { decodeBody } from './body-encoding.js'
import type { EventIdReader } from './event-id.js'
import { FakeReceiver, type AnsweredFault, type ReceiverOptions } from './fake-receiver.js'
import { jsonReply, proxyErrorPage, type Exchange, type Reply } from './http-exchange.js'

export type EsRoute = 'bulk' | 'info'

/** Where a document went, handed to the `eventId` option with the document. */
export interface EsDocumentRef {
  index: string
  id: string
}

export interface FakeElasticsearchOptions extends ReceiverOptions {
  /** Basic auth user. Default `openc2c`. */
  username?: string
  /** Basic auth password. Default: random. */
  password?: string
  /** The value after `ApiKey ` (base64 of `id:key`). Default: random. */
  apiKey?: string
  /** Reads a stored document's event id. Default: its `_id`. */
  eventId?: EventIdReader<EsDocumentRef>
}

/** How a chosen item fails: a retryable rejection (429), a permanent parsing failure (400), or your own. */
export type EsItemError = 'rejected' | 'document_parsing' | { status: number; type: string; reason: string }

export interface EsItemResult {
  action: 'create' | 'index'
  index: string
  id: string
  status: number
  /** `error.type` when the item failed. */
  errorType?: string
}

export interface EsBulkRecord {
  requestSeq: number
  items: EsItemResult[]
}

const ACCEPTED_CONTENT_TYPES = ['application/x-ndjson', 'application/json', 'application/vnd.elasticsearch+x-ndjson', 'application/vnd.elasticsearch+json']

interface StoredDocument {
  requestSeq: number
  version: number
  doc: unknown
}

export class FakeElasticsearch extends FakeReceiver<EsRoute> {
  readonly kind = 'elasticsearch'
  readonly username: string
  readonly password: string
  readonly apiKey: string
  /** One entry per bulk request that got a 200, with each item's outcome. */
  readonly bulkRequests: EsBulkRecord[] = []
  private readonly store = new Map<string, Map<string, StoredDocument>>()
  private readonly failingIds = new Map<string, { error: EsItemError; remaining: number }>()
  private readonly failingPositions: Array<{ positions: Set<number>; error: EsItemError }> = []
  private readonly eventId: EventIdReader<EsDocumentRef>
  private seqNo = 0

  constructor(opts: FakeElasticsearchOptions = {}) {
    super('bulk', opts)
    this.username = opts.username ?? 'openc2c'
    this.password = opts.password ?? randomBytes(12).toString('base64url')
    this.apiKey = opts.apiKey ?? Buffer.from(`${randomBytes(10).toString('base64url')}:${randomBytes(16).toString('base64url')}`).toString('base64')
    this.eventId = opts.eventId ?? ((_doc, ref) => ref.id)
  }

  /** The base URL: the sender posts to `<url>/_bulk` or `<url>/<index>/_bulk`. */
  get url(): string {
    return this.origin
  }

  /** A ready `Authorization` value for the Basic user. */
  get basicAuthorization(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`
  }

  /** A ready `Authorization` value for the API key. */
  get apiKeyAuthorization(): string {
    return `ApiKey ${this.apiKey}`
  }

  indices(): string[] {
    return [...this.store.keys()].sort()
  }

  /** The documents of an index by `_id` (null bodies with `retainEvents: false`). */
  documents(index: string): ReadonlyMap<string, unknown> {
    return new Map([...(this.store.get(index) ?? new Map<string, StoredDocument>())].map(([id, stored]) => [id, stored.doc]))
  }

  /** How many documents the fake holds (each index counts its own). */
  documentCount(index?: string): number {
    if (index !== undefined) return this.store.get(index)?.size ?? 0
    let n = 0
    for (const docs of this.store.values()) n += docs.size
    return n
  }

  /** The next `times` (default 1) create/index items of each of these `_id`s fail with `error`. */
  failItems(ids: Iterable<string>, error: EsItemError = 'rejected', opts: { times?: number } = {}): void {
    const times = opts.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a whole number ≥ 1, got ${times}`)
    for (const id of ids) this.failingIds.set(id, { error, remaining: times })
  }

  /** In the next bulk request, the items at these positions (from 0) fail with `error`. Queued per request. */
  failItemsOfNextRequest(positions: Iterable<number>, error: EsItemError = 'rejected'): void {
    this.failingPositions.push({ positions: new Set(positions), error })
  }

  protected match(ex: Exchange): EsRoute | undefined {
    const path = ex.url.pathname
    if (path === '/' && (ex.method === 'GET' || ex.method === 'HEAD')) return 'info'
    if (ex.method !== 'POST' && ex.method !== 'PUT') return undefined
    if (path === '/_bulk' || path === '/_bulk/') return 'bulk'
    const m = /^\/([^/]+)\/_bulk\/?$/.exec(path)
    return m && !(m[1] as string).startsWith('_') ? 'bulk' : undefined
  }

  protected process(ex: Exchange, body: Buffer): Reply {
    const denied = this.authenticate(ex)
    if (denied) return denied
    if (ex.route === 'info') {
      return esJson(200, { name: 'fake-es-0', cluster_name: 'openc2c-fake', version: { number: '8.15.0', build_flavor: 'default' }, tagline: 'You Know, for Search' })
    }
    return this.bulk(ex, body)
  }

  protected faultReply(fault: AnsweredFault, ex: Exchange): Reply {
    switch (fault.kind) {
      case 'server_error':
        if (fault.status === 502 || fault.status === 504) return proxyErrorPage(fault.status)
        return fault.status === 503
          ? esError(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];')
          : esError(500, 'exception', 'internal failure injected by the fake receiver')
      case 'throttled':
        return esError(429, 'es_rejected_execution_exception', 'rejected execution of coordinating operation: the write queue is full', {
          'retry-after': String(fault.retryAfterSeconds),
        })
      case 'unauthorized':
        return unauthorized(`unable to authenticate with provided credentials and anonymous access is not allowed for this request`, ex)
    }
  }

  protected notFound(ex: Exchange): Reply {
    return esJson(400, { error: `no handler found for uri [${ex.url.pathname}] and method [${ex.method}]`, status: 400 })
  }

  protected clearKindRecords(): void {
    this.bulkRequests.length = 0
    this.store.clear()
  }

  private authenticate(ex: Exchange): Reply | undefined {
    const auth = ex.header('authorization')
    if (auth === undefined) return unauthorized(`missing authentication credentials for REST request [${ex.url.pathname}]`, ex)
    const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(auth)
    const scheme = m?.[1]?.toLowerCase()
    const value = m?.[2] ?? ''
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      const user = colon < 0 ? decoded : decoded.slice(0, colon)
      if (colon >= 0 && user === this.username && decoded.slice(colon + 1) === this.password) return undefined
      return unauthorized(`unable to authenticate user [${user}] for REST request [${ex.url.pathname}]`, ex)
    }
    if (scheme === 'apikey' && value === this.apiKey) return undefined
    return unauthorized('unable to authenticate with provided credentials and anonymous access is not allowed for this request', ex)
  }

  private bulk(ex: Exchange, body: Buffer): Reply {
    const started = Date.now()
    const contentType = ex.header('content-type')
    if (contentType === undefined) return esJson(406, { error: 'Content-Type header is missing', status: 406 }, {}, 'no Content-Type')
    const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase()
    if (!ACCEPTED_CONTENT_TYPES.includes(mediaType)) {
      return esJson(406, { error: `Content-Type header [${contentType}] is not supported`, status: 406 }, {}, `Content-Type ${contentType}`)
    }
    if (mediaType !== 'application/x-ndjson') this.violation(ex, 'es.content_type', `Content-Type is ${contentType}, not application/x-ndjson`)

    const decoded = decodeBody(body, ex.header('content-encoding'))
    if (!decoded.ok) return esError(400, 'illegal_argument_exception', decoded.reason)
    ex.decodedBytes = decoded.bytes.length
    const text = decoded.bytes.toString('utf8')
    if (text.trim() === '') return esError(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;')
    if (!text.endsWith('\n')) return esError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]')

    const parsed = parseBulkLines(text.slice(0, -1).split('\n'), pathIndex(ex.url.pathname))
    if (!parsed.ok) return esError(400, parsed.type, parsed.reason)

    const positionPlan = this.failingPositions.shift()
    const items: Array<Record<string, unknown>> = []
    const record: EsBulkRecord = { requestSeq: ex.seq, items: [] }
    for (const [position, item] of parsed.items.entries()) {
      if (item.generatedId) this.violation(ex, 'es.id', `item ${position}: no _id, so a resend can't be recognised`)
      if (item.action === 'index') this.violation(ex, 'es.action', `item ${position}: index instead of create overwrites on resend`)
      const forced = positionPlan?.positions.has(position) ? positionPlan.error : this.takeIdFailure(item.id)
      const outcome = forced
        ? itemError(item, forced)
        : !item.validIndex
          ? itemError(item, { status: 400, type: 'invalid_index_name_exception', reason: `Invalid index name [${item.index}]` })
          : item.source === undefined
          ? itemError(item, { status: 400, type: 'document_parsing_exception', reason: `[1:1] failed to parse: the source of item ${position} is not a JSON object` })
          : this.write(ex, item)
      items.push({ [item.action]: outcome })
      record.items.push({
        action: item.action,
        index: item.index,
        id: item.id,
        status: outcome.status as number,
        ...(outcome.error ? { errorType: (outcome.error as { type: string }).type } : {}),
      })
    }
    this.bulkRequests.push(record)
    return esJson(200, { took: Date.now() - started, errors: record.items.some((i) => i.status >= 300), items })
  }

  /** Stores one item; a `create` of an id the index already holds is a 409 and changes nothing. */
  private write(ex: Exchange, item: BulkItem): Record<string, unknown> {
    let docs = this.store.get(item.index)
    if (!docs) {
      docs = new Map()
      this.store.set(item.index, docs)
    }
    const existing = docs.get(item.id)
    if (existing && item.action === 'create') {
      return itemError(item, {
        status: 409,
        type: 'version_conflict_engine_exception',
        reason: `[${item.id}]: version conflict, document already exists (current version [${existing.version}])`,
      })
    }
    const version = (existing?.version ?? 0) + 1
    docs.set(item.id, { requestSeq: ex.seq, version, doc: this.retainEvents ? item.source : null })
    this.storeEvent(ex, this.eventId(item.source, { index: item.index, id: item.id }), item.source)
    this.seqNo += 1
    return {
      _index: item.index,
      _id: item.id,
      _version: version,
      result: existing ? 'updated' : 'created',
      _shards: { total: 2, successful: 1, failed: 0 },
      _seq_no: this.seqNo - 1,
      _primary_term: 1,
      status: existing ? 200 : 201,
    }
  }

  private takeIdFailure(id: string): EsItemError | undefined {
    const armed = this.failingIds.get(id)
    if (!armed) return undefined
    armed.remaining -= 1
    if (armed.remaining <= 0) this.failingIds.delete(id)
    return armed.error
  }
}

export async function startFakeElasticsearch(opts: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  return new FakeElasticsearch(opts).start()
}

interface BulkItem {
  action: 'create' | 'index'
  index: string
  id: string
  generatedId: boolean
  validIndex: boolean
  /** The document, or undefined when its line is not a JSON object. */
  source: Record<string, unknown> | undefined
}

type ParsedBulk = { ok: true; items: BulkItem[] } | { ok: false; type: string; reason: string }

function parseBulkLines(lines: string[], defaultIndex: string | undefined): ParsedBulk {
  const items: BulkItem[] = []
  for (let i = 0; i < lines.length; i += 2) {
    const lineNumber = i + 1
    const action = parseJsonObject(lines[i] as string)
    const keys = action ? Object.keys(action) : []
    if (!action || keys.length !== 1) {
      return { ok: false, type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${lineNumber}], expected a JSON object with a single action` }
    }
    const name = keys[0] as string
    if (name !== 'create' && name !== 'index') {
      const known = name === 'update' || name === 'delete'
      return {
        ok: false,
        type: 'illegal_argument_exception',
        reason: known
          ? `Action [${name}] at line [${lineNumber}] is not modelled by the fake receiver (openc2c sends create)`
          : `Malformed action/metadata line [${lineNumber}], expected one of [create, delete, index, update] but found [${name}]`,
      }
    }
    const meta = action[name]
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      return { ok: false, type: 'illegal_argument_exception', reason: `Malformed action/metadata line [${lineNumber}], expected START_OBJECT` }
    }
    const metaRecord = meta as Record<string, unknown>
    const index = typeof metaRecord._index === 'string' ? metaRecord._index : defaultIndex
    if (index === undefined) return { ok: false, type: 'action_request_validation_exception', reason: `Validation Failed: 1: index is missing;` }
    const sourceLine = lines[i + 1]
    if (sourceLine === undefined) {
      return { ok: false, type: 'illegal_argument_exception', reason: `The ${name} action at line [${lineNumber}] has no source line` }
    }
    const hasId = typeof metaRecord._id === 'string' && metaRecord._id !== ''
    items.push({
      action: name,
      index,
      id: hasId ? (metaRecord._id as string) : randomBytes(15).toString('base64url'),
      generatedId: !hasId,
      validIndex: validIndexName(index),
      source: parseJsonObject(sourceLine),
    })
  }
  return { ok: true, items }
}

/** Elasticsearch's naming rules: lower case, no `\ / * ? " < > | , # :` or space, not starting with `_ - +`, not `.` or `..`. */
function validIndexName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && name === name.toLowerCase() && !/[\\/*?"<>| ,#:]/.test(name) && !/^[_\-+]/.test(name)
}

function pathIndex(pathname: string): string | undefined {
  const m = /^\/([^/]+)\/_bulk\/?$/.exec(pathname)
  return m ? decodeURIComponent(m[1] as string) : undefined
}

function itemError(item: BulkItem, error: EsItemError): Record<string, unknown> {
  const spec =
    error === 'rejected'
      ? { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of primary operation: the write queue is full' }
      : error === 'document_parsing'
        ? { status: 400, type: 'document_parsing_exception', reason: `[1:1] failed to parse: document with id '${item.id}' does not fit the mapping` }
        : error
  return {
    _index: item.index,
    _id: item.id,
    status: spec.status,
    error: { type: spec.type, reason: spec.reason, index: item.index, shard: '0', index_uuid: 'fake-index-uuid' },
  }
}

function esJson(status: number, body: unknown, headers: Record<string, string> = {}, rejection?: string): Reply {
  return jsonReply(status, body, { 'x-elastic-product': 'Elasticsearch', ...headers }, rejection)
}

function esError(status: number, type: string, reason: string, headers: Record<string, string> = {}): Reply {
  return esJson(status, { error: { root_cause: [{ type, reason }], type, reason }, status }, headers, status >= 400 ? `${type}: ${reason}` : undefined)
}

function unauthorized(reason: string, ex: Exchange): Reply {
  const challenge = 'Basic realm="security", charset="UTF-8", ApiKey'
  const reply = esError(401, 'security_exception', reason, { 'www-authenticate': challenge })
  return { ...reply, rejection: `security_exception on ${ex.url.pathname}: ${reason}` }
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
