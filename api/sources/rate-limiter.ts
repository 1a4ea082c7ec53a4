// Keeps upstream calls under a per-route budget. A sliding one-minute window (not a token bucket)
// because the budget is stated per minute: a full bucket plus its refill would allow twice the
// budget inside one minute. Per process; several replicas share the budget only if it is split
// between them.
export class SlidingWindowLimiter {
  readonly #windows = new Map<string, number[]>()

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  /** Resolves when a request under `key` may be sent, and counts it. */
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    if (this.perMinute <= 0) return
    for (;;) {
      signal?.throwIfAborted()
      const now = this.now()
      const window = (this.#windows.get(key) ?? []).filter((t) => t > now - 60_000)
      if (window.length < this.perMinute) {
        window.push(now)
        this.#windows.set(key, window)
        return
      }
      this.#windows.set(key, window)
      await this.wait(window[0]! + 60_000 - now + 1, signal)
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, Math.max(0, ms))
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Capped exponential backoff with full jitter: a random wait in [cap/2, cap] of the attempt's step. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}
