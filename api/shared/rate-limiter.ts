// Keeps calls to a remote API under a per-minute budget. A sliding one-minute window (not a token
// bucket) because budgets are stated per minute: a full bucket plus its refill would allow twice the
// budget inside one minute. Per process; several replicas share a budget only if it is split
// between them.
import { sleep } from './backoff.js'

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
