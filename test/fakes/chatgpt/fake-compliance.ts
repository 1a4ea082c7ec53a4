// startFakeCompliance: two real HTTP listeners (API + signed storage) around one in-memory workspace,
// with methods to publish log files, arm faults and read the request log.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { handleApiRequest } from './api-listener.js'
import { retainedFromMicros, type ComplianceState, type KeyGrant } from './compliance-state.js'
import { COMPLIANCE_EVENT_TYPES, isComplianceEventType, type ComplianceEvent, type ComplianceEventType } from './event-types.js'
import { generateEvent } from './event-generator.js'
import {
  clearFaultSwitches,
  createFaultSwitches,
  type BodyFaultRoute,
  type FaultRoute,
  type FaultSwitches,
  type ServerErrorStatus,
} from './fault-switches.js'
import { recordFacts } from './json-records.js'
import {
  allRecords,
  bodyChunks,
  bodyEventIds,
  digestBody,
  generatedFileEventIds,
  generatedRecord,
  generatedTimestamp,
  type GeneratedRecords,
  type LogFileBody,
  type LogFileFormat,
  type MaterialisedRecords,
} from './log-file-body.js'
import { LogFileCatalog, toLogFileObject, type LogFileObject, type StoredLogFile } from './log-file-catalog.js'
import { RequestLog, type RecordedRequest, type RecordedRoute } from './request-log.js'
import { createRng, deriveSeed, type Rng } from './seeded-random.js'
import { handleSignedRequest } from './signed-storage-listener.js'
import { SignedUrlSigner } from './signed-urls.js'
import { formatMicrosOffset, formatMicrosZ, MICROS_PER_SECOND, msToMicros, parseIsoTimestamp, toMicros, type EpochMicros } from './timestamps.js'
import { TokenBucketLimiter } from './token-bucket.js'

export interface FakeComplianceOptions {
  /** Interface both listeners bind to. Default 127.0.0.1. */
  host?: string
  /** API listener port; 0 (default) picks a free one. */
  port?: number
  /** Signed-storage listener port; 0 (default) picks a free one. */
  signedPort?: number
  /** The one valid key at start. Default: an `sk-proj-…` string derived from `seed`. */
  apiKey?: string
  /** Workspace UUID. Default: derived from `seed`. */
  workspaceId?: string
  /** Organization id (`org-…`) served on the organization path. Default: derived from `seed`. */
  organizationId?: string
  /** Seed for ids, default end-time jitter and generated content. Default 1. */
  seed?: number
  /** Event types the initial key may read. Default: all. */
  scopes?: ComplianceEventType[]
  /** Requests per minute per (key, method, route template); 0 = unlimited. Default 100. */
  rateLimitPerMinute?: number
  /** Lifetime of signed download URLs. Default 60. */
  signedUrlTtlSeconds?: number
  /** Files whose end_time is older than this many days disappear. Default 30. */
  retentionDays?: number
  /** Clock in epoch milliseconds (signed URL expiry, rate limit refill, retention, default end times). Default Date.now. */
  now?: () => number
  /** Initial values of the simple fault switches. */
  faults?: Partial<Pick<FaultSwitches, 'inclusiveBoundary' | 'expireNextSignedUrls' | 'errorStyle'>>
}

/** Events produced on demand when the file is downloaded; never held in memory. */
export interface GeneratedContent {
  count: number
  /** Default: derived from the fake's seed and a file counter. */
  seed?: number
  /** Inflate every line to exactly this many bytes (newline included). */
  bytesPerEvent?: number
  /** Events are spread over this many seconds before the file's end_time. Default 300. */
  spanSeconds?: number
}

export type LogFileContent = ComplianceEvent[] | { lines: string[] } | { raw: Buffer | string } | { generate: GeneratedContent }

export type MalformedLineKind = 'invalid_json' | 'missing_event_id'

export interface AddLogFileOptions {
  /** Default: now (with microsecond jitter), and always after the previous file of the same type. */
  endTime?: string | Date
  /** Default: `eclf_` + 24 random alphanumerics. */
  id?: string
  /** `concatenated` writes objects back to back: `}{`, `} {` and a newline in rotation. Default `jsonl`. */
  format?: LogFileFormat
  /** Default true. */
  finalNewline?: boolean
  /** The listing shows a checksum that does not match the body. */
  wrongSha256?: boolean
  /**
   * Re-publish already-published events (byte-identical lines) at the start of this file: a number takes the
   * newest events of the same type, a list names the event_ids to repeat (from any file of any type).
   */
  repeatEvents?: number | string[]
  /** Add this many new events timestamped before the previous file's end_time. */
  lateEvents?: number
  /** How far before the previous file's end_time late events are. Default 3600. */
  lateBySeconds?: number
  /** Add malformed lines: a count (alternating kinds, invalid JSON first) or explicit kinds. */
  malformedLines?: number | MalformedLineKind[]
}

export interface AddGeneratedFilesOptions extends Omit<AddLogFileOptions, 'endTime' | 'id'> {
  /** end_time of the first file. Default: so the last file ends now, and after any existing file of the type. */
  firstEndTime?: string | Date
  /** Seconds between consecutive end_times. Default 300. */
  intervalSeconds?: number
  /** File k uses deriveSeed(seed, k). Default: the fake's own per-file seeds. */
  seed?: number
  bytesPerEvent?: number
  spanSeconds?: number
}

/** A published file: the listing object plus what a test needs to know about its body. */
export interface LogFileInfo extends LogFileObject {
  /** sha256 of the bytes actually served (differs from file_sha256 when wrongSha256 is set). */
  bodySha256: string
  /** Lines carrying an event_id, repeats included. */
  eventCount: number
  repeatedEventIds: string[]
  lateEventIds: string[]
  malformedLineCount: number
  /** Body produced by the generator on each download. */
  generated: boolean
  /** Newest event timestamp in the body (microsecond `Z` form), null when no line has one. */
  maxEventTime: string | null
}

export interface FileQueryOptions {
  /** Include files past retention. Default false: only what the listing can still return. */
  includeExpired?: boolean
}

export interface FakeCompliance {
  /** `http://127.0.0.1:<port>/v1`: what a collector sets as its Compliance API base URL. */
  readonly baseUrl: string
  /** Origin of the signed-storage listener, e.g. `http://127.0.0.1:<signedPort>`. */
  readonly signedOrigin: string
  readonly port: number
  readonly signedPort: number
  readonly workspaceId: string
  readonly organizationId: string
  readonly apiKey: string
  /** Mutable fault switches, read on every request. */
  readonly faults: FaultSwitches
  /** Every request so far, both listeners, in arrival order (live array). */
  readonly requests: readonly RecordedRequest[]

  addLogFile(type: ComplianceEventType, content: LogFileContent, opts?: AddLogFileOptions): LogFileInfo
  addGeneratedFiles(type: ComplianceEventType, fileCount: number, eventsPerFile: number, opts?: AddGeneratedFilesOptions): LogFileInfo[]
  /** Published files in listing order (ascending end_time, then id). */
  files(type?: ComplianceEventType, opts?: FileQueryOptions): LogFileInfo[]
  /** Every distinct event_id in the published files (generated files are streamed, not held). */
  expectedEventIds(type?: ComplianceEventType, opts?: FileQueryOptions): Set<string>
  /** event_ids of one file in body order, repeats included. */
  fileEventIds(fileId: string): Iterable<string>
  /** The exact bytes a download of this file serves. Materialises the body: meant for small files. */
  fileBody(fileId: string): Buffer
  /** Makes the listing show a wrong checksum for an already-published file. */
  corruptListingSha256(fileId: string): void

  /** The next `count` requests of `route` answer `status`. */
  failNext(route: FaultRoute, status?: ServerErrorStatus, count?: number): void
  /** The next `count` requests of `route` answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(route: FaultRoute, retryAfterSeconds?: number, count?: number): void
  /** The next `count` 200 bodies of `route` are written `chunkBytes` at a time, `delayMs` apart. */
  slowNext(route: BodyFaultRoute, opts?: { chunkBytes?: number; delayMs?: number }, count?: number): void
  /** The next `count` 200 bodies of `route` stop after `afterBytes` (default half) and the socket is destroyed. */
  truncateNext(route: BodyFaultRoute, opts?: { afterBytes?: number }, count?: number): void
  /** The next `count` download redirects point at already-expired signed URLs. */
  expireNextSignedUrls(count?: number): void
  /** Disarms every fault switch. */
  clearFaults(): void
  /** Changes the per-route budget (0 = unlimited) and refills all buckets. */
  setRateLimit(perMinute: number): void

  addApiKey(key: string, scopes?: ComplianceEventType[]): void
  /** The key answers 401 from now on (default: the initial key). */
  revokeKey(key?: string): void
  restoreKey(key?: string): void
  /** The key answers 403 for this type from now on. */
  revokeScope(type: ComplianceEventType, key?: string): void
  grantScope(type: ComplianceEventType, key?: string): void

  /** Requests recorded for a route, optionally only with a given status. */
  requestsTo(route: RecordedRoute, status?: number): RecordedRequest[]
  resetRequests(): void
  close(): Promise<void>
}

export async function startFakeCompliance(opts: FakeComplianceOptions = {}): Promise<FakeCompliance> {
  const seed = opts.seed ?? 1
  const identity = createRng(deriveSeed(seed, 'identity'))
  const apiKey = opts.apiKey ?? `sk-proj-${identity.alnum(48)}`
  const workspaceId = (opts.workspaceId ?? identity.uuid4()).toLowerCase()
  const organizationId = opts.organizationId ?? `org-${identity.alnum(24)}`
  const host = opts.host ?? '127.0.0.1'
  const nowMs = opts.now ?? Date.now
  const faults = createFaultSwitches()
  Object.assign(faults, opts.faults ?? {})

  const state: ComplianceState = {
    workspaceId,
    organizationId,
    keys: new Map([[apiKey, { revoked: false, scopes: new Set(opts.scopes ?? COMPLIANCE_EVENT_TYPES) }]]),
    catalog: new LogFileCatalog(),
    faults,
    limiter: new TokenBucketLimiter(opts.rateLimitPerMinute ?? 100, nowMs),
    signer: new SignedUrlSigner(),
    signedUrlTtlMs: (opts.signedUrlTtlSeconds ?? 60) * 1000,
    retentionDays: opts.retentionDays ?? 30,
    signedOrigin: '',
    nowMs,
    log: new RequestLog(),
  }

  const signedServer = createServer(guarded((req, res) => handleSignedRequest(state, req, res)))
  const apiServer = createServer(guarded((req, res) => handleApiRequest(state, req, res)))
  const signedPort = await listen(signedServer, host, opts.signedPort ?? 0)
  let port: number
  try {
    port = await listen(apiServer, host, opts.port ?? 0)
  } catch (err) {
    await closeServer(signedServer)
    throw err
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  state.signedOrigin = `http://${hostInUrl}:${signedPort}`

  return new FakeComplianceImpl(state, { apiKey, seed, baseUrl: `http://${hostInUrl}:${port}/v1`, port, signedPort, servers: [apiServer, signedServer] })
}

class FakeComplianceImpl implements FakeCompliance {
  readonly baseUrl: string
  readonly signedOrigin: string
  readonly port: number
  readonly signedPort: number
  readonly workspaceId: string
  readonly organizationId: string
  readonly apiKey: string
  readonly faults: FaultSwitches
  private readonly rng: Rng
  private readonly seed: number
  private fileCounter = 0
  private readonly servers: Server[]

  constructor(
    private readonly state: ComplianceState,
    init: { apiKey: string; seed: number; baseUrl: string; port: number; signedPort: number; servers: Server[] },
  ) {
    this.baseUrl = init.baseUrl
    this.signedOrigin = state.signedOrigin
    this.port = init.port
    this.signedPort = init.signedPort
    this.workspaceId = state.workspaceId
    this.organizationId = state.organizationId
    this.apiKey = init.apiKey
    this.faults = state.faults
    this.seed = init.seed
    this.rng = createRng(deriveSeed(init.seed, 'files'))
    this.servers = init.servers
  }

  get requests(): readonly RecordedRequest[] {
    return this.state.log.entries
  }

  addLogFile(type: ComplianceEventType, content: LogFileContent, opts: AddLogFileOptions = {}): LogFileInfo {
    if (!isComplianceEventType(type)) throw new Error(`unknown event type ${String(type)}`)
    const fileIndex = this.fileCounter++
    const fileSeed = 'generate' in content && content.generate.seed !== undefined ? content.generate.seed : deriveSeed(this.seed, 'file', fileIndex)
    // Both drawn for every file, so ids and default end times stay reproducible whichever options a file uses.
    const defaultId = `eclf_${this.rng.alnum(24)}`
    const jitter = BigInt(this.rng.int(1_000_000))
    const id = opts.id ?? defaultId
    if (this.state.catalog.get(id)) throw new Error(`log file id ${id} already exists`)
    const previousEnd = this.state.catalog.lastEndMicros(type)

    if ('raw' in content) {
      for (const option of ['repeatEvents', 'lateEvents', 'malformedLines', 'format', 'finalNewline'] as const) {
        if (opts[option] !== undefined) throw new Error(`${option} does not apply to raw content: write the bytes you want`)
      }
      const body: LogFileBody = { kind: 'raw', bytes: Buffer.isBuffer(content.raw) ? content.raw : Buffer.from(content.raw, 'utf8') }
      const facts = scanRecords(allRecords(body))
      const end = opts.endTime !== undefined ? toMicros(opts.endTime) : this.defaultEnd(previousEnd, jitter, facts.maxEventMicros)
      return this.publish(type, id, end, body, facts, opts, { repeated: [], late: [], malformed: 0 })
    }

    const repeated =
      opts.repeatEvents === undefined
        ? []
        : typeof opts.repeatEvents === 'number'
          ? this.newestPublishedRecords(type, opts.repeatEvents)
          : opts.repeatEvents.map((eventId) => this.publishedRecord(eventId))
    const malformed = malformedRecords(type, opts.malformedLines, createRng(deriveSeed(fileSeed, 'malformed')), this.workspaceId)
    let main: MaterialisedRecords | GeneratedRecords
    let end: EpochMicros
    if ('generate' in content) {
      const g = content.generate
      if (!Number.isInteger(g.count) || g.count < 0) throw new Error('generate.count must be an integer >= 0')
      end = opts.endTime !== undefined ? toMicros(opts.endTime) : this.defaultEnd(previousEnd, jitter, null)
      const span = BigInt(Math.round((g.spanSeconds ?? 300) * 1_000_000))
      const step = span / BigInt(g.count + 1) > 0n ? span / BigInt(g.count + 1) : 1n
      main = {
        kind: 'generated',
        type,
        count: g.count,
        seed: fileSeed,
        workspaceId: this.workspaceId,
        ...(g.bytesPerEvent !== undefined ? { bytesPerEvent: g.bytesPerEvent } : {}),
        firstMicros: end - BigInt(g.count) * step,
        stepMicros: step,
      }
    } else {
      const records = Array.isArray(content) ? content.map((event) => JSON.stringify(event)) : [...content.lines]
      main = { kind: 'records', records }
      end = opts.endTime !== undefined ? toMicros(opts.endTime) : this.defaultEnd(previousEnd, jitter, scanRecords(records).maxEventMicros)
    }

    const lateBy = BigInt(Math.round((opts.lateBySeconds ?? 3600) * 1_000_000))
    const lateBase = (previousEnd !== null && previousEnd < end ? previousEnd : end) - lateBy
    const late: string[] = []
    for (let k = 0; k < (opts.lateEvents ?? 0); k++) {
      late.push(JSON.stringify(generateEvent(type, deriveSeed(fileSeed, 'late', k), { timestamp: lateBase - BigInt(k) * 1_000n, workspaceId: this.workspaceId })))
    }

    const body: LogFileBody = {
      kind: 'formatted',
      prefix: [...repeated, ...late, ...malformed],
      main,
      format: opts.format ?? 'jsonl',
      finalNewline: opts.finalNewline ?? true,
    }
    const facts =
      main.kind === 'generated'
        ? mergeFacts(scanRecords(body.prefix), { eventCount: main.count, maxEventMicros: main.count > 0 ? generatedTimestamp(main, main.count - 1) : null })
        : scanRecords([...body.prefix, ...main.records])
    return this.publish(type, id, end, body, facts, opts, {
      repeated: repeated.map((r) => recordFacts(r).eventId as string),
      late: late.map((r) => recordFacts(r).eventId as string),
      malformed: malformed.length,
    })
  }

  addGeneratedFiles(type: ComplianceEventType, fileCount: number, eventsPerFile: number, opts: AddGeneratedFilesOptions = {}): LogFileInfo[] {
    const { firstEndTime, intervalSeconds = 300, seed, bytesPerEvent, spanSeconds, ...fileOpts } = opts
    const interval = BigInt(Math.round(intervalSeconds * 1_000_000))
    let first: EpochMicros
    if (firstEndTime !== undefined) first = toMicros(firstEndTime)
    else {
      first = msToMicros(this.state.nowMs()) - BigInt(Math.max(0, fileCount - 1)) * interval
      const last = this.state.catalog.lastEndMicros(type)
      if (last !== null && last >= first) first = last + interval
    }
    const infos: LogFileInfo[] = []
    for (let k = 0; k < fileCount; k++) {
      // Sub-second jitter so end_times carry realistic microseconds, bounded to keep files in order.
      const jitterBound = interval / 2n < 1_000_000n ? interval / 2n : 1_000_000n
      const jitter = jitterBound > 0n ? BigInt(this.rng.int(Number(jitterBound))) : 0n
      const generate: GeneratedContent = {
        count: eventsPerFile,
        ...(seed !== undefined ? { seed: deriveSeed(seed, k) } : {}),
        ...(bytesPerEvent !== undefined ? { bytesPerEvent } : {}),
        ...(spanSeconds !== undefined ? { spanSeconds } : {}),
      }
      infos.push(this.addLogFile(type, { generate }, { ...fileOpts, endTime: formatMicrosZ(first + BigInt(k) * interval + jitter) }))
    }
    return infos
  }

  files(type?: ComplianceEventType, opts: FileQueryOptions = {}): LogFileInfo[] {
    return this.selectFiles(type, opts).map(toInfo)
  }

  expectedEventIds(type?: ComplianceEventType, opts: FileQueryOptions = {}): Set<string> {
    const ids = new Set<string>()
    for (const file of this.selectFiles(type, opts)) for (const id of bodyEventIds(file.body)) ids.add(id)
    return ids
  }

  fileEventIds(fileId: string): Iterable<string> {
    return bodyEventIds(this.mustGet(fileId).body)
  }

  fileBody(fileId: string): Buffer {
    return Buffer.concat([...bodyChunks(this.mustGet(fileId).body)])
  }

  corruptListingSha256(fileId: string): void {
    const file = this.mustGet(fileId)
    file.listedSha256 = wrongChecksum(file.sha256)
  }

  failNext(route: FaultRoute, status: ServerErrorStatus = 503, count = 1): void {
    this.faults.responseFaults[route].push({ kind: 'server_error', status, remaining: count })
  }

  rateLimitNext(route: FaultRoute, retryAfterSeconds = 1, count = 1): void {
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new Error('retryAfterSeconds must be a whole number >= 0')
    this.faults.responseFaults[route].push({ kind: 'rate_limited', retryAfterSeconds, remaining: count })
  }

  slowNext(route: BodyFaultRoute, opts: { chunkBytes?: number; delayMs?: number } = {}, count = 1): void {
    const chunkBytes = opts.chunkBytes ?? 1024
    if (!(chunkBytes >= 1)) throw new Error('chunkBytes must be >= 1')
    this.faults.bodyFaults[route].push({ kind: 'slow', chunkBytes, delayMs: opts.delayMs ?? 20, remaining: count })
  }

  truncateNext(route: BodyFaultRoute, opts: { afterBytes?: number } = {}, count = 1): void {
    this.faults.bodyFaults[route].push({ kind: 'truncate', ...(opts.afterBytes !== undefined ? { afterBytes: opts.afterBytes } : {}), remaining: count })
  }

  expireNextSignedUrls(count = 1): void {
    this.faults.expireNextSignedUrls += count
  }

  clearFaults(): void {
    clearFaultSwitches(this.faults)
  }

  setRateLimit(perMinute: number): void {
    this.state.limiter.setBudgetPerMinute(perMinute)
  }

  addApiKey(key: string, scopes: ComplianceEventType[] = [...COMPLIANCE_EVENT_TYPES]): void {
    this.state.keys.set(key, { revoked: false, scopes: new Set(scopes) })
  }

  revokeKey(key = this.apiKey): void {
    this.grant(key).revoked = true
  }

  restoreKey(key = this.apiKey): void {
    this.grant(key).revoked = false
  }

  revokeScope(type: ComplianceEventType, key = this.apiKey): void {
    this.grant(key).scopes.delete(type)
  }

  grantScope(type: ComplianceEventType, key = this.apiKey): void {
    this.grant(key).scopes.add(type)
  }

  requestsTo(route: RecordedRoute, status?: number): RecordedRequest[] {
    return this.state.log.entries.filter((r) => r.route === route && (status === undefined || r.status === status))
  }

  resetRequests(): void {
    this.state.log.clear()
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map(closeServer))
  }

  private publish(
    type: ComplianceEventType,
    id: string,
    endMicros: EpochMicros,
    body: LogFileBody,
    facts: RecordsFacts,
    opts: AddLogFileOptions,
    injected: { repeated: string[]; late: string[]; malformed: number },
  ): LogFileInfo {
    const { size, sha256 } = digestBody(body)
    const file: StoredLogFile = {
      id,
      eventType: type,
      endMicros,
      endTime: formatMicrosZ(endMicros),
      fileName: `${type}_${formatMicrosOffset(endMicros)}.jsonl`,
      body,
      size,
      sha256,
      listedSha256: opts.wrongSha256 ? wrongChecksum(sha256) : sha256,
      maxEventMicros: facts.maxEventMicros,
      eventCount: facts.eventCount,
      repeatedEventIds: injected.repeated,
      lateEventIds: injected.late,
      malformedLineCount: injected.malformed,
    }
    this.state.catalog.add(file)
    return toInfo(file)
  }

  /** Default end_time: now plus sub-second jitter, after the type's previous file and after the newest event. */
  private defaultEnd(previousEnd: EpochMicros | null, jitter: EpochMicros, maxEventMicros: EpochMicros | null): EpochMicros {
    let end = msToMicros(this.state.nowMs()) + (jitter % 1000n)
    if (previousEnd !== null && previousEnd >= end) end = previousEnd + MICROS_PER_SECOND + jitter
    if (maxEventMicros !== null && maxEventMicros >= end) end = maxEventMicros + 1n
    return end
  }

  /** The line of a published event, found by event_id (generated files are searched by their predicted ids). */
  private publishedRecord(eventId: string): string {
    for (const file of this.state.catalog.all()) {
      const body = file.body
      if (body.kind === 'formatted' && body.main.kind === 'generated') {
        const main = body.main
        let index = 0
        for (const id of generatedFileEventIds(main)) {
          if (id === eventId) return generatedRecord(main, index)
          index++
        }
        const inPrefix = body.prefix.find((record) => recordFacts(record).eventId === eventId)
        if (inPrefix !== undefined) return inPrefix
      } else {
        for (const record of allRecords(body)) if (recordFacts(record).eventId === eventId) return record
      }
    }
    throw new Error(`no published event with event_id ${eventId}`)
  }

  /** The newest `count` event lines of a type, oldest first, taken from the end of the newest files. */
  private newestPublishedRecords(type: ComplianceEventType, count: number): string[] {
    const picked: string[] = []
    const files = this.state.catalog.all().filter((f) => f.eventType === type)
    for (let f = files.length - 1; f >= 0 && picked.length < count; f--) {
      const body = (files[f] as StoredLogFile).body
      if (body.kind === 'formatted' && body.main.kind === 'generated') {
        for (let i = body.main.count - 1; i >= 0 && picked.length < count; i--) picked.push(generatedRecord(body.main, i))
        for (let i = body.prefix.length - 1; i >= 0 && picked.length < count; i--) pushIfEvent(picked, body.prefix[i] as string)
      } else {
        const records = [...allRecords(body)]
        for (let i = records.length - 1; i >= 0 && picked.length < count; i--) pushIfEvent(picked, records[i] as string)
      }
    }
    if (picked.length < count) throw new Error(`only ${picked.length} published ${type} events exist, cannot repeat ${count}`)
    return picked.reverse()
  }

  private selectFiles(type: ComplianceEventType | undefined, opts: FileQueryOptions): StoredLogFile[] {
    const retainedFrom = retainedFromMicros(this.state)
    return this.state.catalog.all().filter((f) => (type === undefined || f.eventType === type) && (opts.includeExpired || f.endMicros >= retainedFrom))
  }

  private mustGet(fileId: string): StoredLogFile {
    const file = this.state.catalog.get(fileId)
    if (!file) throw new Error(`no log file ${fileId}`)
    return file
  }

  private grant(key: string): KeyGrant {
    const grant = this.state.keys.get(key)
    if (!grant) throw new Error('unknown API key')
    return grant
  }
}

interface RecordsFacts {
  eventCount: number
  maxEventMicros: EpochMicros | null
}

function scanRecords(records: Iterable<string>): RecordsFacts {
  let eventCount = 0
  let maxEventMicros: EpochMicros | null = null
  for (const record of records) {
    const facts = recordFacts(record)
    if (facts.eventId !== undefined) eventCount++
    if (facts.timestamp !== undefined) {
      const parsed = parseIsoTimestamp(facts.timestamp)
      if (parsed.ok && (maxEventMicros === null || parsed.micros > maxEventMicros)) maxEventMicros = parsed.micros
    }
  }
  return { eventCount, maxEventMicros }
}

function mergeFacts(a: RecordsFacts, b: RecordsFacts): RecordsFacts {
  const max = a.maxEventMicros === null ? b.maxEventMicros : b.maxEventMicros === null || a.maxEventMicros > b.maxEventMicros ? a.maxEventMicros : b.maxEventMicros
  return { eventCount: a.eventCount + b.eventCount, maxEventMicros: max }
}

function malformedRecords(type: ComplianceEventType, spec: AddLogFileOptions['malformedLines'], rng: Rng, workspaceId: string): string[] {
  if (spec === undefined) return []
  const kinds: MalformedLineKind[] = typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => (i % 2 === 0 ? 'invalid_json' : 'missing_event_id')) : spec
  return kinds.map((kind) => {
    const event = generateEvent(type, rng, { workspaceId })
    const text = JSON.stringify(event)
    if (kind === 'invalid_json') return text.slice(0, Math.floor(text.length / 2)) // cut mid-object: unparseable
    const { event_id: _dropped, ...withoutId } = event
    return JSON.stringify(withoutId)
  })
}

function pushIfEvent(into: string[], record: string): void {
  if (recordFacts(record).eventId !== undefined) into.push(record)
}

function wrongChecksum(sha256: string): string {
  // Still 64 lowercase hex characters, so only a real comparison notices.
  return (sha256[0] === '0' ? '1' : '0') + sha256.slice(1)
}

function toInfo(file: StoredLogFile): LogFileInfo {
  return {
    ...toLogFileObject(file),
    bodySha256: file.sha256,
    eventCount: file.eventCount,
    repeatedEventIds: [...file.repeatedEventIds],
    lateEventIds: [...file.lateEventIds],
    malformedLineCount: file.malformedLineCount,
    generated: file.body.kind === 'formatted' && file.body.main.kind === 'generated',
    maxEventTime: file.maxEventMicros === null ? null : formatMicrosZ(file.maxEventMicros),
  }
}

/** Turns a handler bug into a 500 (and a stderr line) instead of a hung request. */
function guarded(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handler(req, res)
    } catch (err) {
      process.stderr.write(`fake-chatgpt: handler error: ${err instanceof Error ? err.stack : String(err)}\n`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"detail":"Internal Server Error"}')
      else res.destroy()
    }
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // Keep-alive sockets and in-flight slow bodies would otherwise hold close() open.
    server.closeAllConnections()
  })
}
