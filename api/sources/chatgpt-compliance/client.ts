// HTTP client for OpenAI's Compliance Logs Platform (spec/compliance-api.md §B, §D): list log files,
// and download one to disk, following the 307 to the signed URL without the Authorization header
// and checking size and sha256. Retries 429 (honouring Retry-After) and 5xx/timeouts (capped
// exponential backoff with jitter); 401/403 are configuration errors and never retried.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PRIVATE_FILE_MODE } from '../../store/data-dir.js'
import { backoffMs, type SlidingWindowLimiter, sleep } from '../rate-limiter.js'
import { SourceRunError } from '../source-errors.js'

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
  retry?: { baseMs?: number; capMs?: number; attempts?: number; maxRetryAfterMs?: number }
  /** Time allowed for response headers (not the body), and for silence inside a body. */
  timeouts?: { headersMs?: number; bodyIdleMs?: number }
  /** Observes every upstream response (metrics) and every retried failure (run errors). */
  onResponse?: (route: string, status: number | 'error') => void
  onRetry?: (route: string, error: Error, waitMs: number) => void
}

/** A failure worth retrying within the run (5xx, 429, timeouts, broken or corrupt bodies). */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

const BODY_PREVIEW_BYTES = 1024

export class ComplianceClient {
  readonly #scope: string
  readonly #retry: Required<NonNullable<ComplianceClientOptions['retry']>>
  readonly #timeouts: Required<NonNullable<ComplianceClientOptions['timeouts']>>

  constructor(private readonly options: ComplianceClientOptions) {
    // OpenAI's own script picks the scope by the id: org-… is an API organisation, else a workspace.
    const kind = options.workspaceId.startsWith('org-') ? 'organizations' : 'workspaces'
    this.#scope = `${options.baseUrl.replace(/\/+$/, '')}/compliance/${kind}/${encodeURIComponent(options.workspaceId)}`
    this.#retry = { baseMs: 1000, capMs: 60_000, attempts: 6, maxRetryAfterMs: 300_000, ...options.retry }
    this.#timeouts = { headersMs: 30_000, bodyIdleMs: 60_000, ...options.timeouts }
  }

  async listLogFiles(eventType: string, after: string, limit = 100): Promise<LogFilePage> {
    const url = `${this.#scope}/logs?${new URLSearchParams({ event_type: eventType, after, limit: String(limit) })}`
    return this.#withRetries('list', async () => {
      const res = await this.#fetch('list', url, { authorization: `Bearer ${this.options.apiKey}` })
      const body = await this.#readText('list', res)
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
    await this.#withRetries('download', async () => {
      const redirect = await this.#fetch('download', apiUrl, { authorization: `Bearer ${this.options.apiKey}` }, 'manual')
      let res = redirect
      if (redirect.status >= 300 && redirect.status < 400) {
        await redirect.body?.cancel()
        const location = redirect.headers.get('location')
        if (!location) throw new RetryableError(`download of ${file.id}: ${redirect.status} without a Location header`, 'redirect.missing')
        // Signed storage URLs reject requests that carry credentials, and must never see our key.
        res = await this.#fetch('signed', new URL(location, apiUrl).toString(), {})
        if (res.status === 403 || res.status === 410) {
          await res.body?.cancel()
          throw new RetryableError(`signed URL for ${file.id} was refused (${res.status}); it may have expired`, `signed.${res.status}`)
        }
      }
      if (res.status !== 200) this.#fail(res === redirect ? 'download' : 'signed', res, await this.#readText(res === redirect ? 'download' : 'signed', res))
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
          this.#idleGuarded(Readable.fromWeb(res.body as never), `downloading ${file.id}`),
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

  async #fetch(route: string, url: string, headers: Record<string, string>, redirect: 'follow' | 'manual' = 'follow'): Promise<Response> {
    if (route !== 'signed') await this.options.limiter.acquire(`${this.#scope}|${route}`, this.options.signal)
    // The fetch signal also governs the body, so the headers timeout must be disarmed once the
    // headers are in: a timeout signal left armed would abort every body that takes longer than it
    // (any large file on a normal link). From then on the body is guarded by #idleGuarded.
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new Error(`no response within ${this.#timeouts.headersMs} ms`)), this.#timeouts.headersMs)
    try {
      const res = await fetch(url, { headers, redirect, signal: AbortSignal.any([this.options.signal, timeout.signal]) })
      this.options.onResponse?.(route, res.status)
      return res
    } catch (err) {
      this.options.signal.throwIfAborted()
      this.options.onResponse?.(route, 'error')
      const timedOut = timeout.signal.aborted
      const reason = timedOut ? `no response within ${this.#timeouts.headersMs} ms` : describeNetworkError(err)
      throw new RetryableError(`${route} request failed: ${reason}`, timedOut ? 'timeout' : 'network')
    } finally {
      clearTimeout(timer)
    }
  }

  /** Reads a (small) JSON or error body, under the same idle guard as downloads. */
  async #readText(route: string, res: Response): Promise<string> {
    if (!res.body) return ''
    const chunks: Buffer[] = []
    try {
      for await (const chunk of this.#idleGuarded(Readable.fromWeb(res.body as never), `reading the ${route} response`)) chunks.push(chunk as Buffer)
    } catch (err) {
      this.options.signal.throwIfAborted()
      throw new RetryableError(`reading the response failed: ${(err as Error).message}`, 'body.broken')
    }
    return Buffer.concat(chunks).toString('utf8')
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

  async #withRetries<T>(route: string, attempt: () => Promise<T>): Promise<T> {
    let failures = 0
    let throttled = 0
    for (;;) {
      try {
        return await attempt()
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err
        let waitMs: number
        if (err.code === 'http.429') {
          // Being throttled is not a failure of the upstream; it only costs time. A bound still
          // applies so that a permanently throttled key ends the run and shows an error.
          throttled++
          if (throttled > 20) throw new SourceRunError('ThirdPartyGeneric', err.code, `${err.message} (still throttled after ${throttled} waits)`)
          waitMs = Math.min(err.retryAfterMs ?? 10_000, this.#retry.maxRetryAfterMs)
        } else {
          failures++
          if (failures >= this.#retry.attempts) {
            throw new SourceRunError('ThirdPartyGeneric', err.code, `${err.message} (gave up after ${failures} attempts)`)
          }
          waitMs = backoffMs(failures, this.#retry.baseMs, this.#retry.capMs)
        }
        this.options.onRetry?.(route, err, waitMs)
        await sleep(waitMs, this.options.signal)
      }
    }
  }

  /** Fails a body that stops sending for bodyIdleMs (a slow body that keeps sending is fine). */
  #idleGuarded(body: Readable, what: string): Readable {
    const idleMs = this.#timeouts.bodyIdleMs
    let timer: NodeJS.Timeout | undefined
    const arm = () => {
      clearTimeout(timer)
      timer = setTimeout(() => body.destroy(new Error(`no data for ${idleMs} ms while ${what}`)), idleMs)
    }
    arm()
    body.on('data', arm)
    body.once('close', () => clearTimeout(timer))
    return body
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

/** Retry-After is whole seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function describeNetworkError(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string }
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)
}
