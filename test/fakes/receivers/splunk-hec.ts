// Fake Splunk HTTP Event Collector: the JSON event endpoint, indexer acknowledgement and the health check,
// with Splunk's `{"text","code"}` answers. The README in this folder lists the contract it follows.

import { randomUUID } from 'node:crypto'
import { decodeBody } from './body-encoding.js'
import { splitConcatenatedObjects } from './concatenated-json.js'
import { defaultEventId, type EventIdReader } from './event-id.js'
import { FakeReceiver, type AnsweredFault, type ReceiverOptions } from './fake-receiver.js'
import { AckLedger, CHANNEL_PATTERN, type IssuedAck } from './hec-acks.js'
import { jsonReply, proxyErrorPage, type Exchange, type Reply } from './http-exchange.js'

export type HecRoute = 'event' | 'ack' | 'health'
export type HecHealth = 'healthy' | 'queues_full' | 'ack_unavailable' | 'queues_full_and_ack_unavailable'

/** One envelope of an event request, as parsed. */
export type HecEnvelope = Record<string, unknown>

export interface FakeSplunkHecOptions extends ReceiverOptions {
  /** The one valid token. Default: a random GUID. */
  token?: string
  /** Indexer acknowledgement is on for the token (channel required, ackId answered). Default false. */
  acks?: boolean
  /** When set, an envelope `index` outside this list gets 400 code 7 "Incorrect index". */
  allowedIndexes?: string[]
  /** Reads a stored event's id; gets the envelope's `event` and the whole envelope. Default: `event.id`, else `event.event_id`. */
  eventId?: EventIdReader<HecEnvelope>
  /** Clock for late acks, epoch ms. Default Date.now. */
  now?: () => number
}

export interface HecEnvelopeRecord {
  requestSeq: number
  /** Position of the envelope in its request, from 0. */
  position: number
  channel?: string
  ackId?: number
  /** False when a lost-and-not-indexed ack plan dropped it. */
  stored: boolean
  /** The envelope as parsed (absent with `retainEvents: false`). */
  envelope?: HecEnvelope
}

// Splunk's answers: HTTP status, `code`, `text`. Codes 0–17 are on Splunk's "Troubleshoot HTTP Event
// Collector" page; 18–27 are read from the same table as quoted by clients of newer releases.
const HEC = {
  success: [200, 0, 'Success'],
  tokenDisabled: [403, 1, 'Token disabled'],
  tokenRequired: [401, 2, 'Token is required'],
  invalidAuthorization: [401, 3, 'Invalid authorization'],
  invalidToken: [403, 4, 'Invalid token'],
  noData: [400, 5, 'No data'],
  invalidDataFormat: [400, 6, 'Invalid data format'],
  incorrectIndex: [400, 7, 'Incorrect index'],
  internalError: [500, 8, 'Internal server error'],
  serverBusy: [503, 9, 'Server is busy'],
  channelMissing: [400, 10, 'Data channel is missing'],
  invalidChannel: [400, 11, 'Invalid data channel'],
  eventRequired: [400, 12, 'Event field is required'],
  eventBlank: [400, 13, 'Event field cannot be blank'],
  ackDisabled: [400, 14, 'ACK is disabled'],
  indexedFieldsError: [400, 15, 'Error in handling indexed fields'],
  queryAuthDisabled: [400, 16, 'Query string authorization is not enabled'],
  healthy: [200, 17, 'HEC is healthy'],
  queuesFull: [503, 18, 'HEC is unhealthy, queues are full'],
  ackUnavailable: [503, 19, 'HEC is unhealthy, ack service unavailable'],
  queuesFullAndAckUnavailable: [503, 20, 'HEC is unhealthy, queues are full, ack service unavailable'],
  healthInvalidToken: [400, 21, 'Invalid token'],
  healthTokenDisabled: [400, 22, 'Token disabled'],
  queueAtCapacity: [429, 26, 'HEC queue is at capacity and cannot process any more requests'],
  ackAtCapacity: [429, 27, 'HEC ACK channel is at capacity and cannot process any more requests'],
} as const satisfies Record<string, readonly [number, number, string]>

type HecAnswer = (typeof HEC)[keyof typeof HEC]

const EVENT_PATHS = new Set(['/services/collector', '/services/collector/event', '/services/collector/event/1.0'])
const HEALTH_PATHS = new Set(['/services/collector/health', '/services/collector/health/1.0'])
const MS_EPOCH_THRESHOLD = 1e11 // seconds since 1970 only pass 1e11 in the year 5138: bigger is milliseconds

export class FakeSplunkHec extends FakeReceiver<HecRoute> {
  readonly kind = 'splunk_hec'
  readonly token: string
  readonly acksEnabled: boolean
  /** Every envelope of every event request that passed validation (and the valid prefix of one that did not). */
  readonly envelopes: HecEnvelopeRecord[] = []
  private readonly ledger = new AckLedger()
  private readonly allowedIndexes: Set<string> | undefined
  private readonly eventId: EventIdReader<HecEnvelope>
  private readonly now: () => number
  private tokenDisabled = false
  private readonly refusing = new Map<string, number>()
  private health: HecHealth = 'healthy'

  constructor(opts: FakeSplunkHecOptions = {}) {
    super('event', opts)
    this.token = opts.token ?? randomUUID()
    this.acksEnabled = opts.acks ?? false
    this.allowedIndexes = opts.allowedIndexes ? new Set(opts.allowedIndexes) : undefined
    this.eventId = opts.eventId ?? ((event) => defaultEventId(event))
    this.now = opts.now ?? Date.now
  }

  /** The base URL: the sender appends `/services/collector/event`, `/services/collector/ack`, `/services/collector/health`. */
  get url(): string {
    return this.origin
  }

  /** Every ack id issued, with its plan, poll count and whether a poll already answered true. */
  get acks(): readonly IssuedAck[] {
    return this.ledger.issued
  }

  /** A disabled token gets 403 code 1 on events and acks (400 code 22 on the health check). */
  disableToken(disabled = true): void {
    this.tokenDisabled = disabled
  }

  setHealth(state: HecHealth): void {
    this.health = state
  }

  /** The next `count` ack ids answer true only once `delayMs` passed since they were issued. */
  ackLateNext(delayMs: number, count = 1): void {
    this.ledger.planNext({ kind: 'late', delayMs }, count)
  }

  /** The next `count` ack ids answer false to their first `polls` polls, then true. */
  ackFalseForNext(polls: number, count = 1): void {
    this.ledger.planNext({ kind: 'false_for', polls }, count)
  }

  /**
   * The next `count` ack ids never answer true. `indexed: false` (default) drops their events (they are
   * not in acceptedEvents()); `indexed: true` keeps them, so a resend shows up as a duplicate.
   */
  ackLostNext(count = 1, opts: { indexed?: boolean } = {}): void {
    this.ledger.planNext({ kind: 'lost', indexed: opts.indexed ?? false }, count)
  }

  /**
   * The next `times` envelopes carrying an event with one of these ids are refused as Splunk refuses an
   * invalid envelope: 400 code 6 with `invalid-event-number`, the envelopes before it kept, the rest not read.
   */
  refuseEvents(ids: Iterable<string>, opts: { times?: number } = {}): void {
    const times = opts.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a whole number ≥ 1, got ${times}`)
    for (const id of ids) this.refusing.set(id, times)
  }

  protected match(ex: Exchange): HecRoute | undefined {
    const path = ex.url.pathname.replace(/\/+$/, '') || '/'
    if (EVENT_PATHS.has(path)) return 'event'
    if (path === '/services/collector/ack') return 'ack'
    if (HEALTH_PATHS.has(path)) return 'health'
    return undefined
  }

  protected process(ex: Exchange, body: Buffer): Reply {
    if (ex.route === 'health') return this.healthCheck(ex)
    if (ex.method !== 'POST') return jsonReply(405, { text: 'Method Not Allowed', code: 405 }, { allow: 'POST' }, `${ex.method} on ${ex.route}`)
    const denied = this.checkToken(ex)
    if (denied) return denied
    if (ex.route === 'ack') return this.ackPoll(ex, body)
    return this.events(ex, body)
  }

  protected faultReply(fault: AnsweredFault, ex: Exchange): Reply {
    switch (fault.kind) {
      case 'server_error':
        if (fault.status === 502 || fault.status === 504) return proxyErrorPage(fault.status)
        return answer(fault.status === 503 ? HEC.serverBusy : HEC.internalError)
      case 'throttled':
        return answer(ex.route === 'ack' ? HEC.ackAtCapacity : HEC.queueAtCapacity, {}, { 'retry-after': String(fault.retryAfterSeconds) })
      case 'unauthorized':
        return answer(HEC.invalidAuthorization)
    }
  }

  protected notFound(): Reply {
    return jsonReply(404, { text: 'The requested URL was not found on this server.', code: 404 })
  }

  protected clearKindRecords(): void {
    this.envelopes.length = 0
    this.ledger.clearRecords()
  }

  private events(ex: Exchange, body: Buffer): Reply {
    const channel = this.channelOf(ex)
    if (this.acksEnabled) {
      if (channel.value === undefined) return answer(HEC.channelMissing)
      if (!CHANNEL_PATTERN.test(channel.value)) return answer(HEC.invalidChannel)
      if (channel.from === 'query') this.violation(ex, 'hec.channel_header', 'the channel came in the query, not the X-Splunk-Request-Channel header')
    }
    const decoded = decodeBody(body, ex.header('content-encoding'))
    if (!decoded.ok) return answer(HEC.invalidDataFormat, {}, {}, decoded.reason)
    ex.decodedBytes = decoded.bytes.length
    const text = decoded.bytes.toString('utf8')
    if (text.trim() === '') return answer(HEC.noData)

    const split = splitConcatenatedObjects(text)
    const envelopes: HecEnvelope[] = []
    let failure: { at: number; answer: HecAnswer; why: string } | undefined
    for (const [position, piece] of split.objects.entries()) {
      const parsed = parseObject(piece)
      const problem = parsed === undefined ? ([HEC.invalidDataFormat, 'not a JSON object'] as const) : (this.envelopeProblem(parsed) ?? this.refusal(parsed))
      if (problem) {
        failure = { at: position, answer: problem[0], why: problem[1] }
        break
      }
      envelopes.push(parsed as HecEnvelope)
    }
    if (!failure && split.badItemIndex !== undefined) failure = { at: split.badItemIndex, answer: HEC.invalidDataFormat, why: 'not a JSON object' }

    // Splunk stops at the first bad envelope; the ones before it are taken, and the answer says where it stopped.
    const ackChannel = this.acksEnabled && !failure ? channel.value : undefined
    const plan = ackChannel ? this.ledger.peekPlan() : undefined
    const keep = !(plan?.kind === 'lost' && !plan.indexed)
    const ack = ackChannel ? this.ledger.issue(ackChannel, ex.seq, this.now()) : undefined
    for (const [position, envelope] of envelopes.entries()) {
      this.checkContract(ex, envelope, position)
      this.envelopes.push({
        requestSeq: ex.seq,
        position,
        ...(channel.value !== undefined ? { channel: channel.value } : {}),
        ...(ack ? { ackId: ack.ackId } : {}),
        stored: keep,
        ...(this.retainEvents ? { envelope } : {}),
      })
      if (keep) this.storeEvent(ex, this.eventId(envelope.event, envelope), envelope.event)
    }
    if (failure) return answer(failure.answer, { 'invalid-event-number': failure.at }, {}, `envelope ${failure.at}: ${failure.why}`)
    return answer(HEC.success, ack ? { ackId: ack.ackId } : {})
  }

  /** Splunk's own checks of one envelope: the first problem as [answer, why], or undefined. */
  private envelopeProblem(envelope: HecEnvelope): readonly [HecAnswer, string] | undefined {
    const event = envelope.event
    if (event === undefined || event === null) return [HEC.eventRequired, 'no event field']
    if (typeof event === 'string' && event.trim() === '') return [HEC.eventBlank, 'event is blank']
    const time = envelope.time
    if (time !== undefined && !(typeof time === 'number' && Number.isFinite(time)) && !(typeof time === 'string' && /^\d+(\.\d+)?$/.test(time))) {
      return [HEC.invalidDataFormat, 'time is not epoch seconds']
    }
    for (const key of ['host', 'source', 'sourcetype', 'index'] as const) {
      if (envelope[key] !== undefined && typeof envelope[key] !== 'string') return [HEC.invalidDataFormat, `${key} is not a string`]
    }
    if (this.allowedIndexes && typeof envelope.index === 'string' && !this.allowedIndexes.has(envelope.index)) {
      return [HEC.incorrectIndex, `index ${envelope.index} is not allowed for the token`]
    }
    const fields = envelope.fields
    if (fields !== undefined) {
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return [HEC.indexedFieldsError, 'fields is not an object']
      for (const [name, value] of Object.entries(fields)) {
        const flat = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        if (!(flat(value) || (Array.isArray(value) && value.every(flat)))) return [HEC.indexedFieldsError, `fields.${name} is nested`]
      }
    }
    return undefined
  }

  /** An envelope refuseEvents names, while it has refusals left. */
  private refusal(envelope: HecEnvelope): readonly [HecAnswer, string] | undefined {
    const id = this.eventId(envelope.event, envelope)
    const left = id === undefined ? undefined : this.refusing.get(id)
    if (id === undefined || left === undefined) return undefined
    if (left <= 1) this.refusing.delete(id)
    else this.refusing.set(id, left - 1)
    return [HEC.invalidDataFormat, `event ${id} refused (refuseEvents)`]
  }

  /** What openc2c's contract asks beyond Splunk's checks; breaches become violations, the answer stays Splunk's. */
  private checkContract(ex: Exchange, envelope: HecEnvelope, position: number): void {
    const where = `envelope ${position}`
    if (typeof envelope.time !== 'number') this.violation(ex, 'hec.time', `${where}: time is ${JSON.stringify(envelope.time)}, not a number of epoch seconds`)
    else if (envelope.time > MS_EPOCH_THRESHOLD) this.violation(ex, 'hec.time', `${where}: time ${envelope.time} looks like milliseconds`)
    for (const key of ['source', 'sourcetype'] as const) {
      if (typeof envelope[key] !== 'string' || envelope[key] === '') this.violation(ex, `hec.${key}`, `${where}: ${key} is missing`)
    }
    if (envelope.fields !== undefined) {
      for (const [name, value] of Object.entries(envelope.fields as Record<string, unknown>)) {
        if (typeof value !== 'string') this.violation(ex, 'hec.fields', `${where}: fields.${name} is not a string`)
      }
    }
    if (typeof envelope.event !== 'object' || Array.isArray(envelope.event)) this.violation(ex, 'hec.event', `${where}: event is not an object`)
  }

  private ackPoll(ex: Exchange, body: Buffer): Reply {
    if (!this.acksEnabled) return answer(HEC.ackDisabled)
    const channel = this.channelOf(ex).value
    if (channel === undefined) return answer(HEC.channelMissing)
    if (!CHANNEL_PATTERN.test(channel)) return answer(HEC.invalidChannel)
    const decoded = decodeBody(body, ex.header('content-encoding'))
    const parsed = decoded.ok ? parseObject(decoded.bytes.toString('utf8')) : undefined
    const ids = parsed?.acks
    if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
      return answer(HEC.invalidDataFormat, {}, {}, 'the body is not {"acks":[<non-negative integers>]}')
    }
    return jsonReply(200, { acks: this.ledger.poll(channel, ids as number[], this.now()) })
  }

  private healthCheck(ex: Exchange): Reply {
    const auth = ex.header('authorization')
    if (auth !== undefined) {
      if (splunkToken(auth) !== this.token) return answer(HEC.healthInvalidToken)
      if (this.tokenDisabled) return answer(HEC.healthTokenDisabled)
    }
    const state = {
      healthy: HEC.healthy,
      queues_full: HEC.queuesFull,
      ack_unavailable: HEC.ackUnavailable,
      queues_full_and_ack_unavailable: HEC.queuesFullAndAckUnavailable,
    } as const
    return answer(state[this.health])
  }

  private checkToken(ex: Exchange): Reply | undefined {
    const auth = ex.header('authorization')
    if (auth === undefined) return answer(ex.url.searchParams.has('token') ? HEC.queryAuthDisabled : HEC.tokenRequired)
    const token = splunkToken(auth)
    if (token === undefined) return answer(HEC.invalidAuthorization)
    if (token !== this.token) return answer(HEC.invalidToken)
    if (this.tokenDisabled) return answer(HEC.tokenDisabled)
    return undefined
  }

  private channelOf(ex: Exchange): { value: string | undefined; from?: 'header' | 'query' } {
    const header = ex.header('x-splunk-request-channel')
    if (header !== undefined) return { value: header.trim(), from: 'header' }
    const query = ex.url.searchParams.get('channel')
    return query === null ? { value: undefined } : { value: query, from: 'query' }
  }
}

export async function startFakeSplunkHec(opts: FakeSplunkHecOptions = {}): Promise<FakeSplunkHec> {
  return new FakeSplunkHec(opts).start()
}

function answer(spec: readonly [number, number, string], extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, why?: string): Reply {
  const [status, code, text] = spec
  return jsonReply(status, { text, code, ...extra }, headers, status >= 400 ? (why ? `${text}: ${why}` : text) : undefined)
}

/** The token of `Authorization: Splunk <token>` (scheme case-insensitive), or undefined. */
function splunkToken(header: string): string | undefined {
  const m = /^\s*splunk\s+(\S+)\s*$/i.exec(header)
  return m ? m[1] : undefined
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
