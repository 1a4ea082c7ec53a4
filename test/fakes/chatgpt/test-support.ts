// Small HTTP helpers shared by the fake's own tests: they talk to the fake over real sockets, like a client.

import { createHash } from 'node:crypto'
import { get, type IncomingHttpHeaders } from 'node:http'
import type { FakeCompliance } from './fake-compliance.js'

export interface JsonResponse {
  status: number
  headers: Headers
  body: any // parsed JSON, or undefined; tests inspect arbitrary shapes
  text: string
}

/** GET `<baseUrl><path>?<params>` with the fake's key (or `key`, or none when key is null). */
export async function apiGet(
  fake: FakeCompliance,
  path: string,
  params: Array<[string, string]> | Record<string, string> = [],
  opts: { key?: string | null; headers?: Record<string, string>; method?: string } = {},
): Promise<JsonResponse> {
  const query = new URLSearchParams(params).toString()
  const key = opts.key === undefined ? fake.apiKey : opts.key
  const res = await fetch(`${fake.baseUrl}${path}${query ? `?${query}` : ''}`, {
    method: opts.method ?? 'GET',
    redirect: 'manual',
    headers: { ...(key !== null ? { authorization: `Bearer ${key}` } : {}), ...opts.headers },
  })
  const text = await res.text()
  let body: unknown = undefined
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, body, text }
}

export const logsPath = (fake: FakeCompliance): string => `/compliance/workspaces/${fake.workspaceId}/logs`

export function listLogs(fake: FakeCompliance, params: Array<[string, string]> | Record<string, string>, opts: { key?: string | null } = {}): Promise<JsonResponse> {
  return apiGet(fake, logsPath(fake), params, opts)
}

/** Asks the API for a download and returns the signed URL of the 307 (throws on anything else). */
export async function signedUrlFor(fake: FakeCompliance, fileId: string): Promise<string> {
  const res = await apiGet(fake, `${logsPath(fake)}/${fileId}`)
  if (res.status !== 307) throw new Error(`expected 307, got ${res.status}: ${res.text}`)
  const location = res.headers.get('location')
  if (!location) throw new Error('307 without Location')
  return location
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  /** Number of 'data' events the client saw. */
  chunks: number
  /** Set when the connection broke before the declared body arrived. */
  error?: Error
}

/** A plain node:http GET that keeps whatever arrived, even when the server cuts the body short. */
export function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, method }, (res) => {
      const parts: Buffer[] = []
      let chunks = 0
      let settled = false
      const finish = (error?: Error): void => {
        if (settled) return
        settled = true
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), chunks, ...(error ? { error } : {}) })
      }
      res.on('data', (c: Buffer) => {
        parts.push(c)
        chunks++
      })
      res.on('end', () => finish())
      res.on('aborted', () => finish(new Error('aborted')))
      res.on('error', (err) => finish(err))
      res.on('close', () => finish(res.complete ? undefined : new Error('closed before the body was complete')))
    })
    req.on('error', reject)
  })
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/** A clock tests move by hand; pass `clock.now` as the fake's `now` option. */
export class ManualClock {
  private ms: number
  constructor(start: string | number) {
    this.ms = typeof start === 'number' ? start : Date.parse(start)
  }
  readonly now = (): number => this.ms
  advance(ms: number): void {
    this.ms += ms
  }
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
export const MICROS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
