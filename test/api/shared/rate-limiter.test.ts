// The upstream budget holds in every sliding minute, not just on average.
import { describe, expect, it } from 'vitest'
import { backoffMs } from '../../../api/shared/backoff.js'
import { SlidingWindowLimiter } from '../../../api/shared/rate-limiter.js'

describe('SlidingWindowLimiter', () => {
  it('never lets more than the budget through in any 60 s window, per key', async () => {
    // A virtual clock: waiting advances time instead of sleeping.
    let now = 0
    const limiter = new SlidingWindowLimiter(90, () => now, async (ms) => {
      now += ms
    })
    const sent: number[] = []
    for (let i = 0; i < 300; i++) {
      await limiter.acquire('list')
      sent.push(now)
      now += 10 // the caller's own work between requests
    }
    for (let i = 0; i < sent.length; i++) {
      const inWindow = sent.filter((t) => t > sent[i]! - 60_000 && t <= sent[i]!).length
      expect(inWindow).toBeLessThanOrEqual(90)
    }
    // It does not throttle more than needed: 300 requests fit in a bit over three minutes.
    expect(sent.at(-1)!).toBeLessThan(3 * 60_000 + 1000)
    // Another route has its own budget: no wait.
    const before = now
    await limiter.acquire('download')
    expect(now).toBe(before)
  })

  it('0 means no limit', async () => {
    const limiter = new SlidingWindowLimiter(0, () => 0)
    for (let i = 0; i < 1000; i++) await limiter.acquire('x')
  })
})

describe('backoffMs', () => {
  it('grows exponentially, is capped, and jitters within [step/2, step]', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500)
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000)
    expect(backoffMs(4, 1000, 60_000, () => 1)).toBe(8000)
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000)
    expect(backoffMs(20, 1000, 60_000, () => 0)).toBe(30_000)
  })
})
