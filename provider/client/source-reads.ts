// Batched source reads. During a refresh Terraform reads every source (10 at a time by default), one GET
// each; for 100 sources on one collector that is 100 requests, 25 s against an API that allows 4 requests
// per second, as Sumo's does. When two or more reads for the same collector arrive within
// BATCH_WINDOW_MS, one `GET /collectors/{id}/sources` answers them all, and its result serves further reads
// for CACHE_TTL_MS. A lone read stays a single GET, so a collector with 1,000 sources of which Terraform
// manages one is not listed in full.
//
// Staleness is bounded by the TTL (a refresh is a snapshot anyway), and any write through this client
// to a collector's sources drops that collector's cached list.

import type { ApiClient } from './api-client.js'
import type { Source } from '../../schemas/source.js'

const BATCH_WINDOW_MS = 3
const CACHE_TTL_MS = 2_000

interface Waiter {
  sourceId: string
  resolve(source: Source | null): void
  reject(error: unknown): void
}

interface CollectorReads {
  waiting: Waiter[]
  timer: NodeJS.Timeout | undefined
  cached: { at: number; byId: Map<string, Source> } | undefined
  generation: number
}

type Fetchers = {
  getOne(collectorId: string, sourceId: string, signal?: AbortSignal): Promise<Source | null>
  list(collectorId: string, signal?: AbortSignal): Promise<Source[] | null>
}

export class SourceReads {
  private readonly collectors = new Map<string, CollectorReads>()

  constructor(
    private readonly fetchers: Fetchers,
    private readonly now: () => number = Date.now,
  ) {}

  read(collectorId: string, sourceId: string, signal?: AbortSignal): Promise<Source | null> {
    const reads = this.reads(collectorId)
    if (reads.cached && this.now() - reads.cached.at < CACHE_TTL_MS) return Promise.resolve(reads.cached.byId.get(sourceId) ?? null)
    return new Promise((resolve, reject) => {
      reads.waiting.push({ sourceId, resolve, reject })
      reads.timer ??= setTimeout(() => void this.flush(collectorId, signal), BATCH_WINDOW_MS)
    })
  }

  /** Forget what is cached for a collector; called on every write to its sources. */
  invalidate(collectorId: string): void {
    const reads = this.collectors.get(collectorId)
    if (!reads) return
    reads.cached = undefined
    reads.generation++
  }

  private reads(collectorId: string): CollectorReads {
    let reads = this.collectors.get(collectorId)
    if (!reads) {
      reads = { waiting: [], timer: undefined, cached: undefined, generation: 0 }
      this.collectors.set(collectorId, reads)
    }
    return reads
  }

  private async flush(collectorId: string, signal: AbortSignal | undefined): Promise<void> {
    const reads = this.reads(collectorId)
    const batch = reads.waiting
    reads.waiting = []
    reads.timer = undefined
    if (batch.length === 1) {
      const [only] = batch as [Waiter]
      await this.fetchers.getOne(collectorId, only.sourceId, signal).then(only.resolve, only.reject)
      return
    }
    const generation = reads.generation
    try {
      const sources = await this.fetchers.list(collectorId, signal)
      const byId = new Map((sources ?? []).map((source) => [String(source.id), source]))
      // A write during the list may have changed things: then don't keep the list for later reads.
      if (generation === reads.generation) reads.cached = { at: this.now(), byId }
      for (const waiter of batch) waiter.resolve(byId.get(waiter.sourceId) ?? null)
    } catch (error) {
      for (const waiter of batch) waiter.reject(error)
    }
  }
}
