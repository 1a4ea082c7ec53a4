// Cache entries expire: a backstop for a notification that is lost while the feed still reports
// itself healthy. The clock is injected, so nothing here waits.
import { describe, expect, it, vi } from 'vitest'
import type { ChangeFeed } from '../../../api/store/change-feed.js'
import { SOURCE_CACHE_TTL_MS, SourceCache } from '../../../api/store/source-cache.js'
import type { SourceRecord } from '../../../api/store/sources-repository.js'

const record = (version: number): SourceRecord => ({
  id: 7,
  collectorId: 1,
  name: 's',
  schemaType: 'ChatGPT Compliance',
  config: { name: 's' },
  secrets: null,
  version,
  state: { state: 'Collecting' },
})

/** A feed that is healthy and never announces anything (as if a notification went missing). */
const silentFeed: ChangeFeed = { healthy: true, subscribe: () => {}, close: async () => {} }

describe('SourceCache TTL', () => {
  it('serves an entry until it expires, then reads the database again', async () => {
    let version = 1
    const get = vi.fn(async () => record(version))
    let now = 1_000_000
    const cache = new SourceCache({ get }, silentFeed, { now: () => now })
    expect((await cache.get(1, 7))!.version).toBe(1)
    // A write that was never announced.
    version = 2
    now += SOURCE_CACHE_TTL_MS - 1
    expect((await cache.get(1, 7))!.version).toBe(1)
    expect(get).toHaveBeenCalledTimes(1)
    now += 1
    expect((await cache.get(1, 7))!.version).toBe(2)
    expect(get).toHaveBeenCalledTimes(2)
    // The fresh entry is served again for its own TTL.
    now += SOURCE_CACHE_TTL_MS - 1
    expect((await cache.get(1, 7))!.version).toBe(2)
    expect(get).toHaveBeenCalledTimes(2)
  })
})
