// Rate limiting as the Admin API documents it: a budget per minute for each (key, method, route template),
// 100 by default (docs/logs-platform.md §8). A token bucket of capacity = budget refilled continuously lets a
// client burst a full minute's budget and then paces it, and gives an honest Retry-After.

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export class TokenBucketLimiter {
  private perMinute: number
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>()
  private readonly nowMs: () => number

  /** `perMinute` 0 disables limiting. */
  constructor(perMinute: number, nowMs: () => number) {
    this.perMinute = validBudget(perMinute)
    this.nowMs = nowMs
  }

  get budgetPerMinute(): number {
    return this.perMinute
  }

  /** Changes the budget and refills every bucket, so a test starts from a known state. */
  setBudgetPerMinute(perMinute: number): void {
    this.perMinute = validBudget(perMinute)
    this.buckets.clear()
  }

  take(bucketKey: string): TakeResult {
    if (this.perMinute === 0) return { allowed: true }
    const now = this.nowMs()
    const ratePerMs = this.perMinute / 60_000
    const bucket = this.buckets.get(bucketKey) ?? { tokens: this.perMinute, updatedMs: now }
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.updatedMs) * ratePerMs)
    bucket.updatedMs = now
    this.buckets.set(bucketKey, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { allowed: true }
    }
    // Whole seconds, rounded up, never 0: clients parse Retry-After as an integer and a 0 would hot-loop.
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) }
  }
}

function validBudget(perMinute: number): number {
  if (!Number.isFinite(perMinute) || perMinute < 0) throw new Error(`rate limit must be a number >= 0, got ${perMinute}`)
  return perMinute
}
