// The source read cache stays coherent: a write through any path (API, runtime, raw SQL from another
// session) drops the cached entry via the trigger-fed change feed.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ChangeFeed } from '../../../api/store/change-feed.js'
import { SourceCache } from '../../../api/store/source-cache.js'
import type { SourceRecord } from '../../../api/store/sources-repository.js'
import { startTestService, type TestService } from '../../helpers/app.js'
import { chatGptSourceBody, collectorBody } from '../../helpers/fixtures.js'

let t: TestService
let collectorId: number
beforeAll(async () => {
  t = await startTestService()
  collectorId = (await t.request('POST', '/api/v1/collectors', collectorBody('cache'))).json().collector.id
})
afterAll(async () => {
  await t?.close()
})

async function eventually(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('source read cache', () => {
  it('serves repeated GETs from memory and sees a change made directly in the database', async () => {
    const source = (await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody())).json().source
    const url = `/api/v1/collectors/${collectorId}/sources/${source.id}`
    const reads = vi.spyOn(t.app.ctx.sources, 'get')
    // The create's own notification arrives asynchronously on Postgres and may drop the entry once
    // more, so first wait until a GET is served from memory, then require the next five to be.
    await eventually(async () => {
      const before = reads.mock.calls.length
      expect((await t.request('GET', url)).json().source.state.state).toBe('Pending')
      return reads.mock.calls.length === before
    }, 'a GET served from the cache')
    const settled = reads.mock.calls.length
    // Served by peek, synchronously: the cache's own (async) get is not asked either.
    const cacheGets = vi.spyOn(t.app.ctx.sourceReads, 'get')
    for (let i = 0; i < 5; i++) expect((await t.request('GET', url)).json().source.state.state).toBe('Pending')
    expect(reads.mock.calls.length).toBe(settled)
    expect(cacheGets).not.toHaveBeenCalled()
    cacheGets.mockRestore()
    reads.mockRestore()
    // A write from another session (as another replica or the runtime would make) is announced by the trigger.
    await sql`update sources set state = 'Collecting' where id = ${source.id}`.execute(t.service.database.db)
    await eventually(async () => (await t.request('GET', url)).json().source.state.state === 'Collecting', 'the cached source to refresh')
    await sql`update source_leases set quarantined_records = 7 where source_id = ${source.id}`.execute(t.service.database.db)
    await eventually(async () => (await t.request('GET', url)).json().source.collection.quarantinedRecords === 7, 'the lease change to show')
    await sql`delete from sources where id = ${source.id}`.execute(t.service.database.db)
    await eventually(async () => (await t.request('GET', url)).statusCode === 404, 'the deleted source to 404')
  })

  it('never serves a stale ETag after a PUT on this replica', async () => {
    const created = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({}, { name: 'etag-cache' }))
    const url = `/api/v1/collectors/${collectorId}/sources/${created.json().source.id}`
    let etag = (await t.request('GET', url)).headers.etag as string
    for (let i = 0; i < 10; i++) {
      const put = await t.request('PUT', url, chatGptSourceBody({}, { name: 'etag-cache', description: `v${i}` }), { 'if-match': etag })
      expect(put.statusCode).toBe(200)
      const get = await t.request('GET', url)
      expect(get.headers.etag).toBe(put.headers.etag)
      expect(get.json().source.config.description).toBe(`v${i}`)
      etag = get.headers.etag as string
    }
  })

  it('drops a collector’s sources from the cache when the collector is deleted', async () => {
    const c = (await t.request('POST', '/api/v1/collectors', collectorBody('cache-gone'))).json().collector
    const s = (await t.request('POST', `/api/v1/collectors/${c.id}/sources`, chatGptSourceBody())).json().source
    const url = `/api/v1/collectors/${c.id}/sources/${s.id}`
    expect((await t.request('GET', url)).statusCode).toBe(200)
    expect((await t.request('DELETE', `/api/v1/collectors/${c.id}`)).statusCode).toBe(200)
    expect((await t.request('GET', url)).statusCode).toBe(404)
  })
})

describe('SourceCache.peek', () => {
  // The cache on its own, with a hand-driven feed and clock: peek answers only what get() put in memory.
  function standalone() {
    let now = 0
    let notify: (payload: string) => void = () => {}
    let gap: () => void = () => {}
    const feed: ChangeFeed = {
      healthy: true,
      subscribe: (onChange, onGap) => {
        notify = onChange
        gap = onGap
      },
      close: async () => {},
    }
    const record = { id: 5, collectorId: 2, version: 1 } as SourceRecord
    const cache = new SourceCache({ get: async (c, s) => (c === 2 && s === 5 ? record : undefined) }, feed, { ttlMs: 1000, now: () => now })
    return { cache, record, feed: feed as { healthy: boolean }, notify: (p: string) => notify(p), gap: () => gap(), advance: (ms: number) => (now += ms) }
  }

  it('finds what a read put in memory, for its own collector only, until a change, a gap, an unhealthy feed or the TTL', async () => {
    const s = standalone()
    expect(s.cache.peek(2, 5)).toBeUndefined()
    expect(await s.cache.get(2, 5)).toBe(s.record)
    expect(s.cache.peek(2, 5)).toBe(s.record)
    expect(s.cache.peek(3, 5)).toBeUndefined()
    s.notify('5')
    expect(s.cache.peek(2, 5)).toBeUndefined()

    await s.cache.get(2, 5)
    s.gap()
    expect(s.cache.peek(2, 5)).toBeUndefined()

    await s.cache.get(2, 5)
    s.feed.healthy = false
    expect(s.cache.peek(2, 5)).toBeUndefined()
    s.feed.healthy = true
    expect(s.cache.peek(2, 5)).toBe(s.record)
    s.advance(1000)
    expect(s.cache.peek(2, 5)).toBeUndefined()
  })
})
