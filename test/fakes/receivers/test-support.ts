// Helpers for the fakes' own tests: a node:http client that reports resets and timeouts instead of
// throwing, and a minimal sender per kind that follows the delivery contract.

import { randomUUID } from 'node:crypto'
import { request, type IncomingHttpHeaders } from 'node:http'
import { gzipSync } from 'node:zlib'
import type { FakeElasticsearch } from './elasticsearch.js'
import type { FakeSplunkHec } from './splunk-hec.js'
import type { FakeSumoHttp } from './sumo-http.js'
import type { FakeWebhook } from './webhook.js'

export type AnyFake = FakeSplunkHec | FakeElasticsearch | FakeSumoHttp | FakeWebhook

export interface ClientResult {
  /** 0 when no response arrived. */
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The body parsed as JSON, or undefined. */
  json: any // tests inspect receiver-specific shapes
  /** Set when no response arrived: the socket error code (ECONNRESET…) or TIMEOUT. */
  error?: string
}

export interface SendOptions {
  method?: string
  headers?: Record<string, string>
  body?: Buffer | string
  /** Give up (error TIMEOUT) after this many ms. Default 10 000. */
  timeoutMs?: number
}

/** One request on a fresh connection; never rejects. */
export function send(url: string, opts: SendOptions = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    let settled = false
    const done = (result: ClientResult): void => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const failed = (code: string): ClientResult => ({ status: 0, headers: {}, text: '', json: undefined, error: code })
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body)
    const req = request(url, { method: opts.method ?? 'POST', headers: { ...opts.headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('error', (err: NodeJS.ErrnoException) => done(failed(err.code ?? err.message)))
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        done({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) })
      })
    })
    req.setTimeout(opts.timeoutMs ?? 10_000, () => {
      done(failed('TIMEOUT'))
      req.destroy()
    })
    req.on('error', (err: NodeJS.ErrnoException) => done(failed(err.code ?? err.message)))
    req.end(body)
  })
}

export interface TestEvent {
  id: string
  [key: string]: unknown
}

export function events(prefix: string, count: number): TestEvent[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, type: 'AUDIT_LOG', n: i }))
}

/** A correct delivery of `batch` to any fake, as the destinations will send it. */
export function deliver(fake: AnyFake, batch: TestEvent[], opts: { timeoutMs?: number; batchId?: string; channel?: string } = {}): Promise<ClientResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  switch (fake.kind) {
    case 'splunk_hec': {
      const channel = opts.channel ?? CHANNEL
      const body = batch.map((event) => hecEnvelope(event)).join('')
      return send(`${fake.url}/services/collector/event`, {
        headers: { authorization: `Splunk ${fake.token}`, ...(fake.acksEnabled ? { 'x-splunk-request-channel': channel } : {}) },
        body,
        timeoutMs,
      })
    }
    case 'elasticsearch':
      return send(`${fake.url}/_bulk`, {
        headers: { authorization: fake.apiKeyAuthorization, 'content-type': 'application/x-ndjson' },
        body: bulkBody('openc2c-events', batch),
        timeoutMs,
      })
    case 'sumo_http':
      return send(fake.url, {
        headers: { 'content-encoding': 'gzip', 'x-sumo-category': 'chatgpt/compliance' },
        body: gzipSync(batch.map((e) => JSON.stringify(e)).join('\n') + '\n'),
        timeoutMs,
      })
    case 'webhook':
      return send(fake.url, {
        headers: { 'content-type': 'application/x-ndjson', 'x-openc2c-batch-id': opts.batchId ?? randomUUID() },
        body: ndjson(batch),
        timeoutMs,
      })
  }
}

export const CHANNEL = '0f4a5b6c-7d8e-4f90-a1b2-c3d4e5f60718'

export function hecEnvelope(event: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ time: 1767225600.123, source: 'openc2c', sourcetype: 'chatgpt:compliance', fields: { event_type: 'AUDIT_LOG' }, event, ...extra })
}

export function bulkBody(index: string | undefined, batch: TestEvent[]): string {
  return batch.map((e) => `${JSON.stringify({ create: { ...(index ? { _index: index } : {}), _id: e.id } })}\n${JSON.stringify(e)}\n`).join('')
}

export function ndjson(batch: unknown[]): string {
  return batch.map((e) => JSON.stringify(e)).join('\n') + '\n'
}

/** Polls `check` every 10 ms until it holds (or throws after `limitMs`): for effects that follow a delay. */
export async function eventually(check: () => boolean, limitMs = 5_000): Promise<void> {
  const until = Date.now() + limitMs
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00Z')) {}
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
