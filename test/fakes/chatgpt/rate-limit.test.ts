import { afterEach, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance } from './fake-compliance.js'
import { apiGet, listLogs, logsPath, ManualClock } from './test-support.js'

const AFTER = '2026-01-01T00:00:00Z'
let fake: FakeCompliance | undefined
afterEach(() => fake?.close())

async function start(rateLimitPerMinute?: number): Promise<{ fake: FakeCompliance; clock: ManualClock }> {
  const clock = new ManualClock('2026-08-01T00:00:00Z')
  fake = await startFakeCompliance({ now: clock.now, ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}) })
  fake.addGeneratedFiles('AUDIT_LOG', 1, 1)
  return { fake, clock }
}

const statuses = async (n: number, request: () => Promise<{ status: number }>): Promise<number[]> => {
  const out = []
  for (let i = 0; i < n; i++) out.push((await request()).status)
  return out
}

describe('token bucket per (key, method, route template)', () => {
  it('allows the budget, then answers 429 with an integer Retry-After until tokens refill', async () => {
    const { fake, clock } = await start(3)
    const list = () => listLogs(fake, { event_type: 'AUDIT_LOG', after: AFTER })
    expect(await statuses(3, list)).toEqual([200, 200, 200])
    const limited = await list()
    expect(limited.status).toBe(429)
    // 3 per minute = one token every 20 s.
    expect(limited.headers.get('retry-after')).toBe('20')
    expect(limited.body).toEqual({ detail: expect.any(String) })
    clock.advance(19_000)
    const almost = await list()
    expect(almost.status).toBe(429)
    expect(almost.headers.get('retry-after')).toBe('1')
    clock.advance(1_000)
    expect((await list()).status).toBe(200)
    expect((await list()).status).toBe(429)
  })

  it('keeps separate buckets per route template and per key, not per workspace id spelling', async () => {
    const { fake } = await start(2)
    const list = () => listLogs(fake, { event_type: 'AUDIT_LOG', after: AFTER })
    expect(await statuses(3, list)).toEqual([200, 200, 429])
    // Same template, different spelling of the workspace id: same bucket.
    const upper = await apiGet(fake, `/compliance/workspaces/${fake.workspaceId.toUpperCase()}/logs`, { event_type: 'AUDIT_LOG', after: AFTER })
    expect(upper.status).toBe(429)
    const maxTime = () => apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/max_event_time`, { event_type: 'AUDIT_LOG' })
    expect(await statuses(2, maxTime)).toEqual([200, 200])
    fake.addApiKey('sk-proj-other')
    expect((await listLogs(fake, { event_type: 'AUDIT_LOG', after: AFTER }, { key: 'sk-proj-other' })).status).toBe(200)
  })

  it('defaults to 100 per minute', async () => {
    const { fake } = await start()
    const file = fake.files()[0]
    const results = await statuses(101, () => apiGet(fake, `${logsPath(fake)}/${file?.id}`))
    expect(results.slice(0, 100).every((s) => s === 307)).toBe(true)
    expect(results[100]).toBe(429)
  })

  it('0 means unlimited, and the budget can change at runtime', async () => {
    const { fake } = await start(0)
    const list = () => listLogs(fake, { event_type: 'AUDIT_LOG', after: AFTER })
    expect((await statuses(150, list)).every((s) => s === 200)).toBe(true)
    fake.setRateLimit(1)
    expect(await statuses(2, list)).toEqual([200, 429])
  })
})
