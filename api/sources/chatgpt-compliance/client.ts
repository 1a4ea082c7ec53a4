// HTTP client for OpenAI's Compliance Logs Platform (docs/logs-platform.md): list log files,
// and download one to disk, following the 307 to the signed URL without the Authorization header
// and checking size and sha256. Retries 429 (honouring Retry-After) and 5xx/timeouts (capped
// exponential backoff with jitter); 401/403 are configuration errors and never retried.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PRIVATE_FILE_MODE } from '../../store/data-dir.js'
import { HttpClient, type HttpTimeouts, parseRetryAfter, RetryableError, type RetryPolicy } from '../../shared/http-client.js'
import type { SlidingWindowLimiter } from '../../shared/rate-limiter.js'
import { SourceRunError } from '../source-run-error.js'

export interface LogFile {
  id: string
  event_type: string
  end_time: string
  file_name?: string
  file_size: number
  file_sha256: string
}

export interface LogFilePage {
  data: LogFile[]
  has_more: boolean
  last_end_time: string | null
}

export interface ComplianceClientOptions {
  baseUrl: string
  workspaceId: string
  apiKey: string
  limiter: SlidingWindowLimiter
  signal: AbortSignal
  retry: Omit<RetryPolicy, 'maxThrottledWaits'>
  timeouts: HttpTimeouts
  /** Observes every upstream response (metrics) and every retried failure (run errors). */
  onResponse?: (route: string, status: number | 'error') => void
  onRetry?: (route: string, error: Error, waitMs: number) => void
}

const BODY_PREVIEW_BYTES = 1024

export class ComplianceClient {
  readonly #scope: string
  readonly #http: HttpClient

  constructor(private readonly options: ComplianceClientOptions) {
    // OpenAI's own script picks the scope by the id: org-… is an API organisation, else a workspace.
    const kind = options.workspaceId.startsWith('org-') ? 'organizations' : 'workspaces'
    this.#scope = `${options.baseUrl.replace(/\/+$/, '')}/compliance/${kind}/${encodeURIComponent(options.workspaceId)}`
    this.#http = new HttpClient({
      signal: options.signal,
      timeouts: options.timeouts,
      // A permanently throttled key ends the run after 20 waits and shows an error.
      retry: { ...options.retry, maxThrottledWaits: 20 },
      limiter: options.limiter,
      ...(options.onResponse ? { onResponse: options.onResponse } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      giveUp: (error, reason) => new SourceRunError('ThirdPartyGeneric', error.code, `${error.message} (${reason})`),
    })
  }

  async listLogFiles(eventType: string, after: string, limit = 100): Promise<LogFilePage> {
    const url = `${this.#scope}/logs?${new URLSearchParams({ event_type: eventType, after, limit: String(limit) })}`
    return this.#http.withRetries('list', async () => {
      const res = await this.#http.send('list', url, { headers: this.#auth(), limitKey: this.#limitKey('list') })
      const body = await this.#http.readText('list', res)
      if (res.status !== 200) this.#fail('list', res, body)
      return parsePage(body)
    })
  }

  /**
   * Streams the file to `destination`, verifying its size and sha256 against the listing. A
   * mismatch, a truncated body, an expired signed URL or a 5xx is retried with a fresh redirect.
   */
  async downloadLogFile(file: LogFile, destination: string): Promise<void> {
    const apiUrl = `${this.#scope}/logs/${encodeURIComponent(file.id)}`
    await this.#http.withRetries('download', async () => {
      const redirect = await this.#http.send('download', apiUrl, { headers: this.#auth(), redirect: 'manual', limitKey: this.#limitKey('download') })
      let res = redirect
      if (redirect.status >= 300 && redirect.status < 400) {
        await redirect.body?.cancel()
        const location = redirect.headers.get('location')
        if (!location) throw new RetryableError(`download of ${file.id}: ${redirect.status} without a Location header`, 'redirect.missing')
        // Signed storage URLs reject requests that carry credentials, and must never see our key.
        res = await this.#http.send('signed', new URL(location, apiUrl).toString())
        if (res.status === 403 || res.status === 410) {
          await res.body?.cancel()
          throw new RetryableError(`signed URL for ${file.id} was refused (${res.status}); it may have expired`, `signed.${res.status}`)
        }
      }
      if (res.status !== 200) {
        const route = res === redirect ? 'download' : 'signed'
        this.#fail(route, res, await this.#http.readText(route, res))
      }
      if (!res.body) throw new RetryableError(`download of ${file.id}: empty response`, 'body.missing')
      const hash = crypto.createHash('sha256')
      let bytes = 0
      const measure = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk)
          bytes += chunk.length
          done(null, chunk)
        },
      })
      try {
        await pipeline(
          this.#http.guardIdle(Readable.fromWeb(res.body as never), `downloading ${file.id}`),
          measure,
          fs.createWriteStream(destination, { mode: PRIVATE_FILE_MODE }),
          { signal: this.options.signal },
        )
      } catch (err) {
        this.options.signal.throwIfAborted()
        throw new RetryableError(`download of ${file.id} broke after ${bytes} bytes: ${(err as Error).message}`, 'body.broken')
      }
      if (bytes !== file.file_size) {
        throw new RetryableError(`download of ${file.id}: ${bytes} bytes, the listing says ${file.file_size}`, 'size.mismatch')
      }
      const digest = hash.digest('hex')
      if (digest !== file.file_sha256.toLowerCase()) {
        throw new RetryableError(`download of ${file.id}: sha256 ${digest} does not match the listing's ${file.file_sha256}`, 'sha256.mismatch')
      }
    })
  }

  #auth(): Record<string, string> {
    return { authorization: `Bearer ${this.options.apiKey}` }
  }

  /** The Logs Platform's budget is per route and workspace; signed storage URLs are not counted. */
  #limitKey(route: string): string {
    return `${this.#scope}|${route}`
  }

  /** Classifies a non-success answer. The body is opaque to us: only its start is kept, for the user. */
  #fail(route: string, res: Response, body: string): never {
    const preview = body.slice(0, BODY_PREVIEW_BYTES)
    const what = `${route} answered ${res.status}: ${preview}`
    if (res.status === 401 || res.status === 403) {
      throw new SourceRunError('ThirdPartyConfig', `http.${res.status}`, `${what} — check the API key, its Compliance API scopes and the workspace id`)
    }
    if (res.status === 429) throw new RetryableError(what, 'http.429', parseRetryAfter(res.headers.get('retry-after')))
    if (res.status >= 500 || res.status === 408) throw new RetryableError(what, `http.${res.status}`)
    throw new SourceRunError('ThirdPartyGeneric', `http.${res.status}`, what)
  }
}

function parsePage(body: string): LogFilePage {
  let page: unknown
  try {
    page = JSON.parse(body)
  } catch {
    throw new RetryableError(`listing is not JSON: ${body.slice(0, 200)}`, 'list.invalid')
  }
  const p = page as Partial<LogFilePage>
  if (!p || !Array.isArray(p.data) || typeof p.has_more !== 'boolean') {
    throw new RetryableError(`listing lacks data/has_more: ${body.slice(0, 200)}`, 'list.invalid')
  }
  for (const f of p.data) {
    if (typeof f?.id !== 'string' || typeof f.end_time !== 'string' || typeof f.file_size !== 'number' || typeof f.file_sha256 !== 'string') {
      throw new RetryableError(`listing has a malformed file entry: ${JSON.stringify(f).slice(0, 200)}`, 'list.invalid')
    }
  }
  return { data: p.data, has_more: p.has_more, last_end_time: typeof p.last_end_time === 'string' ? p.last_end_time : null }
}
