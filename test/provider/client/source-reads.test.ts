// Batched source reads: reads that arrive together share one list request, a lone read stays a GET,
// writes drop the cached list.

import { describe, expect, it } from 'vitest'
import { SourceReads } from '../../../provider/client/source-reads.js'
import type { Source } from '../../../schemas/source.js'
import { apiSource } from '../helpers/api-objects.js'

function fakeApi(sources: Record<string, Source[]>) {
  const calls: string[] = []
  const fetchers = {
    async getOne(collectorId: string, sourceId: string) {
      calls.push(`get ${collectorId}/${sourceId}`)
      return sources[collectorId]?.find((s) => String(s.id) === sourceId) ?? null
    },
    async list(collectorId: string) {
      calls.push(`list ${collectorId}`)
      return sources[collectorId] ?? null
    },
  }
  return { calls, fetchers }
}

const source = (id: number): Source => apiSource({ id, config: { name: `s${id}` } })

describe('SourceReads', () => {
  it('answers concurrent reads of one collector with one list request, and later reads from it', async () => {
    const { calls, fetchers } = fakeApi({ '1': [source(10), source(11), source(12)] })
    const reads = new SourceReads(fetchers)
    const results = await Promise.all(['10', '11', '99'].map((id) => reads.read('1', id)))
    expect(results.map((r) => r?.id ?? null)).toEqual([10, 11, null])
    expect(await reads.read('1', '12')).toMatchObject({ id: 12 })
    expect(calls).toEqual(['list 1'])
  })

  it('keeps a lone read a single GET', async () => {
    const { calls, fetchers } = fakeApi({ '1': [source(10)] })
    const reads = new SourceReads(fetchers)
    expect(await reads.read('1', '10')).toMatchObject({ id: 10 })
    expect(calls).toEqual(['get 1/10'])
  })

  it('lists again after a write to the collector and after the cache expires', async () => {
    const { calls, fetchers } = fakeApi({ '1': [source(10), source(11)] })
    let now = 0
    const reads = new SourceReads(fetchers, () => now)
    await Promise.all([reads.read('1', '10'), reads.read('1', '11')])
    reads.invalidate('1')
    await Promise.all([reads.read('1', '10'), reads.read('1', '11')])
    now += 5_000
    await Promise.all([reads.read('1', '10'), reads.read('1', '11')])
    expect(calls).toEqual(['list 1', 'list 1', 'list 1'])
  })

  it('reports every source as gone when the collector is gone, and passes errors to every waiter', async () => {
    const { fetchers } = fakeApi({})
    const reads = new SourceReads(fetchers)
    expect(await Promise.all([reads.read('7', '1'), reads.read('7', '2')])).toEqual([null, null])
    const failing = new SourceReads({ ...fetchers, list: () => Promise.reject(new Error('boom')) })
    const outcomes = await Promise.allSettled([failing.read('1', '1'), failing.read('1', '2')])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected'])
  })

  it('keeps batches of different collectors apart', async () => {
    const { calls, fetchers } = fakeApi({ '1': [source(10), source(11)], '2': [source(20), source(21)] })
    const reads = new SourceReads(fetchers)
    const results = await Promise.all([reads.read('1', '10'), reads.read('2', '20'), reads.read('1', '11'), reads.read('2', '21')])
    expect(results.map((r) => r?.id)).toEqual([10, 20, 11, 21])
    expect(calls.sort()).toEqual(['list 1', 'list 2'])
  })
})
