// The retrying HTTP client every remote call goes through, sources' upstream calls and destinations'
// deliveries alike: a timeout for the response headers, a separate idle guard for the body (a slow
// body that keeps sending is fine), an optional per-minute budget, and retries with capped
// exponential backoff and jitter that honour Retry-After. What counts as retryable is the caller's
// call: it throws RetryableError for those answers, anything else ends the attempt loop at once.
import { Readable } from 'node:stream'
import { backoffMs, sleep } from './backoff.js'
import type { SlidingWindowLimiter } from './rate-limiter.js'

/** A failure worth another attempt (5xx, 429, timeouts, broken or corrupt bodies). */
export class RetryableError extends Error {
  constructor(
    message: string,
    /** Short machine-readable code, e.g. `http.503`, `timeout`. */
    readonly code: string,
    /** From a Retry-After header: wait this long rather than the backoff. */
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'RetryableError'
  }
}

export interface RetryPolicy {
  baseMs: number
  capMs: number
  /** Failures (other than throttling) before giving up; Infinity retries for ever. */
  attempts: number
  /** The longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number
  /** Throttled answers (429) in a row before giving up; Infinity waits for ever. */
  maxThrottledWaits: number
}

export interface HttpTimeouts {
  /** Time allowed for the response headers. */
  headersMs: number
  /** Time allowed for silence inside a body. */
  bodyIdleMs: number
}

export interface HttpClientOptions {
  signal: AbortSignal
  timeouts: HttpTimeouts
  retry: RetryPolicy
  limiter?: SlidingWindowLimiter
  /** Observes every response (metrics): its status, or 'error' when none came. */
  onResponse?: (route: string, status: number | 'error') => void
  /** Observes every failure that will be retried, with the wait before the next attempt. */
  onRetry?: (route: string, error: RetryableError, waitMs: number) => void
  /** The error to throw once retries are exhausted (the caller's own error type). */
  giveUp: (error: RetryableError, reason: string) => Error
}

export interface SendOptions {
  method?: string
  headers?: Record<string, string>
  body?: Uint8Array | string
  redirect?: 'follow' | 'manual'
  /** Counts this request against the limiter's budget under this key. */
  limitKey?: string
}

export class HttpClient {
  constructor(readonly options: HttpClientOptions) {}

  /** One request. A network failure or a headers timeout is a RetryableError. */
  async send(route: string, url: string, send: SendOptions = {}): Promise<Response> {
    const { signal, timeouts, limiter } = this.options
    if (limiter && send.limitKey !== undefined) await limiter.acquire(send.limitKey, signal)
    // The fetch signal also governs the body, so the headers timeout must be disarmed once the
    // headers are in: a timeout signal left armed would abort every body that takes longer than it
    // (any large file on a normal link). From then on the body is guarded by guardIdle.
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new Error(`no response within ${timeouts.headersMs} ms`)), timeouts.headersMs)
    try {
      const res = await fetch(url, {
        method: send.method ?? 'GET',
        headers: send.headers ?? {},
        ...(send.body !== undefined ? { body: send.body } : {}),
        redirect: send.redirect ?? 'follow',
        signal: AbortSignal.any([signal, timeout.signal]),
      })
      this.options.onResponse?.(route, res.status)
      return res
    } catch (err) {
      signal.throwIfAborted()
      this.options.onResponse?.(route, 'error')
      const timedOut = timeout.signal.aborted
      const reason = timedOut ? `no response within ${timeouts.headersMs} ms` : describeNetworkError(err)
      throw new RetryableError(`${route} request failed: ${reason}`, timedOut ? 'timeout' : 'network')
    } finally {
      clearTimeout(timer)
    }
  }

  /** Reads a small body (JSON, an error answer) under the idle guard. */
  async readText(route: string, res: Response): Promise<string> {
    if (!res.body) return ''
    const chunks: Buffer[] = []
    try {
      for await (const chunk of this.guardIdle(Readable.fromWeb(res.body as never), `reading the ${route} response`)) chunks.push(chunk as Buffer)
    } catch (err) {
      this.options.signal.throwIfAborted()
      throw new RetryableError(`reading the ${route} response failed: ${(err as Error).message}`, 'body.broken')
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  /** Fails a body that stops sending for bodyIdleMs. */
  guardIdle(body: Readable, what: string): Readable {
    const idleMs = this.options.timeouts.bodyIdleMs
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

  /** Runs `attempt` until it succeeds, throws something other than RetryableError, or retries run out. */
  async withRetries<T>(route: string, attempt: () => Promise<T>): Promise<T> {
    const { retry, signal } = this.options
    let failures = 0
    let throttled = 0
    for (;;) {
      try {
        return await attempt()
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err
        let waitMs: number
        if (err.code === 'http.429') {
          // Being throttled is not a failure of the remote end; it only costs time. A bound may
          // still apply, so that a permanently throttled caller ends and shows an error.
          throttled++
          if (throttled > retry.maxThrottledWaits) throw this.options.giveUp(err, `still throttled after ${throttled} waits`)
          waitMs = Math.min(err.retryAfterMs ?? 10_000, retry.maxRetryAfterMs)
        } else {
          failures++
          if (failures >= retry.attempts) throw this.options.giveUp(err, `gave up after ${failures} attempts`)
          waitMs = err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, retry.maxRetryAfterMs) : backoffMs(failures, retry.baseMs, retry.capMs)
        }
        this.options.onRetry?.(route, err, waitMs)
        await sleep(waitMs, signal)
      }
    }
  }
}

/** Retry-After is whole seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

export function describeNetworkError(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string }
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)
}
