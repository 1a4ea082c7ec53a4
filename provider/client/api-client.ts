// HTTP client for the openc2c service: Basic auth, JSON bodies, keep-alive, bounded retries.
//
// Retries are bounded so that a permanent failure does not look like a hang (the Sumo provider's 10
// attempts with up to 30 s between them would): at most 4 attempts, 200 ms doubling, Retry-After honoured
// up to 5 s. A POST is retried only when the service certainly did not process it (connection refused,
// 429), so a retry never creates a duplicate.

import http from 'node:http'
import https from 'node:https'
import { ApiAbortedError, ApiError, ApiUnreachableError } from './api-error.js'

/** Where the client reports each request: method, path, status and timing, never a body (bodies may hold
 * secrets). The provider's logger fits it. */
export interface RequestLog {
  log(level: 'debug', message: string, fields: Record<string, unknown>): void
}

export interface ApiCredentials {
  /** Service base URL, e.g. http://127.0.0.1:8080 (a trailing /api is accepted too). */
  endpoint: string
  accessId: string
  accessKey: string
}

export interface ApiResponse<T> {
  status: number
  etag: string | undefined
  body: T | undefined
}

export interface RequestOptions {
  body?: unknown
  ifMatch?: string
  signal?: AbortSignal
  /** Statuses that are answers, not errors (e.g. 404 on a read). */
  accept?: number[]
}

const MAX_ATTEMPTS = 4
const FIRST_BACKOFF_MS = 200
const MAX_RETRY_AFTER_MS = 5_000
// Terraform runs 10 operations in parallel by default; leave headroom for the GET+PUT pairs.
const MAX_SOCKETS = 16

// One keep-alive agent per protocol for the whole process. In reattach mode every Terraform command
// configures the provider again (a new ApiClient); sharing the agent reuses its connections instead of
// leaving idle sockets behind per command. TLS trust is Node's own (NODE_EXTRA_CA_CERTS, --use-openssl-ca
// and the like behave as for any Node program).
const agents: { http?: http.Agent; https?: https.Agent } = {}

function agentFor(protocol: string): http.Agent {
  if (protocol === 'https:') return (agents.https ??= new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }))
  return (agents.http ??= new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }))
}

export class ApiClient {
  readonly baseUrl: URL
  private readonly authorization: string
  private readonly agent: http.Agent

  constructor(
    credentials: ApiCredentials,
    private readonly userAgent: string,
    private readonly log?: RequestLog,
  ) {
    const endpoint = credentials.endpoint.replace(/\/+$/, '')
    this.baseUrl = new URL(endpoint.endsWith('/api') ? `${endpoint}/` : `${endpoint}/api/`)
    this.authorization = `Basic ${Buffer.from(`${credentials.accessId}:${credentials.accessKey}`).toString('base64')}`
    this.agent = agentFor(this.baseUrl.protocol)
  }

  /** A full replacement, as the API takes it: PUT with If-Match carrying the ETag of a fresh GET, so a
   * change made meanwhile by someone else fails (412) instead of being overwritten. */
  async replace<T>(path: string, body: unknown, signal?: AbortSignal): Promise<ApiResponse<T>> {
    const current = await this.request<unknown>('GET', path, signal && { signal })
    return this.request<T>('PUT', path, { body, ifMatch: current.etag ?? '', ...(signal && { signal }) })
  }

  /** `path` is relative to the API root, e.g. "v1/collectors/12". */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = new URL(path, this.baseUrl)
    const label = `${method} ${url.pathname}`
    const aborted = (): boolean => options.signal?.aborted === true
    for (let attempt = 1; ; attempt++) {
      if (aborted()) throw new ApiAbortedError(label)
      let outcome: { status: number; etag: string | undefined; text: string; retryAfter: string | undefined }
      const started = performance.now()
      try {
        outcome = await this.send(method, url, options)
        this.log?.log('debug', 'openc2c API request', { method, path: url.pathname, status: outcome.status, ms: Math.round(performance.now() - started), attempt })
      } catch (error) {
        const err = error as NodeJS.ErrnoException
        this.log?.log('debug', 'openc2c API request failed', { method, path: url.pathname, error: err.code ?? err.message, attempt })
        if (aborted()) throw new ApiAbortedError(label)
        const notSent = err.code === 'ECONNREFUSED'
        if (attempt < MAX_ATTEMPTS && (method !== 'POST' || notSent)) {
          await delay(backoff(attempt), options.signal)
          continue
        }
        throw new ApiUnreachableError(label, err)
      }
      const { status, text } = outcome
      if (status < 400 || options.accept?.includes(status)) {
        return { status, etag: outcome.etag, body: text ? (JSON.parse(text) as T) : undefined }
      }
      const retriable = status === 429 || (method !== 'POST' && (status === 502 || status === 503 || status === 504))
      if (retriable && attempt < MAX_ATTEMPTS) {
        await delay(retryAfterMs(outcome.retryAfter) ?? backoff(attempt), options.signal)
        continue
      }
      throw ApiError.fromResponse(label, status, text)
    }
  }

  private send(method: string, url: URL, options: RequestOptions) {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: this.authorization,
      'user-agent': this.userAgent,
    }
    if (payload) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(payload.length)
    }
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch
    const transport = url.protocol === 'https:' ? https : http
    return new Promise<{ status: number; etag: string | undefined; text: string; retryAfter: string | undefined }>((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.agent, ...(options.signal && { signal: options.signal }) }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            etag: headerValue(res.headers.etag),
            text: Buffer.concat(chunks).toString('utf8'),
            retryAfter: headerValue(res.headers['retry-after']),
          }),
        )
      })
      req.on('error', reject)
      req.end(payload)
    })
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function backoff(attempt: number): number {
  return FIRST_BACKOFF_MS * 2 ** (attempt - 1)
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined
}

/** Waits, or less when the signal aborts (the loop then sees the abort and stops). */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}
