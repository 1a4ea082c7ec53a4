// A read cache of sources for GET /collectors/{cid}/sources/{sid}, the hottest route (Terraform
// reads every source on every plan). Coherent across replicas through the change feed: any write
// to a source or its lease row, by anyone, drops that entry. Writes (PUT, DELETE, restart) never
// read through it, so If-Match is always checked against the database. Entries also expire after
// a TTL: a backstop should a notification ever be lost without the feed noticing.
import type { ChangeFeed } from './change-feed.js'
import type { SourceRecord, SourcesRepository } from './sources-repository.js'

const MAX_ENTRIES = 10_000
export const SOURCE_CACHE_TTL_MS = 60_000

export interface SourceCacheOptions {
  ttlMs?: number
  /** The clock (tests move it instead of waiting). */
  now?: () => number
}

export class SourceCache {
  readonly #entries = new Map<number, { record: SourceRecord; expiresAt: number }>()
  /** Bumped by every invalidation; a read that straddles one must not fill the cache. */
  #epoch = 0
  readonly #ttlMs: number
  readonly #now: () => number

  constructor(
    private readonly sources: Pick<SourcesRepository, 'get'>,
    private readonly feed: ChangeFeed,
    options: SourceCacheOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? SOURCE_CACHE_TTL_MS
    this.#now = options.now ?? Date.now
    feed.subscribe(
      (payload) => this.invalidate(Number(payload)),
      () => this.clear(),
    )
  }

  /**
   * The cached record, answered synchronously, or undefined when only the database can say (not
   * cached, expired, the feed is down, or cached under another collector).
   */
  peek(collectorId: number, sourceId: number): SourceRecord | undefined {
    const hit = this.#live(sourceId)
    return hit?.collectorId === collectorId ? withLiveRunning(hit) : undefined
  }

  async get(collectorId: number, sourceId: number): Promise<SourceRecord | undefined> {
    const hit = this.#live(sourceId)
    if (hit) return hit.collectorId === collectorId ? withLiveRunning(hit) : undefined
    const epoch = this.#epoch
    const record = await this.sources.get(collectorId, sourceId)
    if (record && this.feed.healthy && epoch === this.#epoch) {
      // Re-inserted at the end, so the first key is always the oldest entry.
      this.#entries.delete(sourceId)
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
      this.#entries.set(sourceId, { record, expiresAt: this.#now() + this.#ttlMs })
    }
    return record
  }

  /** The cached record while it may be trusted: the feed is delivering and the entry has not expired. */
  #live(sourceId: number): SourceRecord | undefined {
    if (!this.feed.healthy) return undefined
    const entry = this.#entries.get(sourceId)
    return entry && entry.expiresAt > this.#now() ? entry.record : undefined
  }

  invalidate(sourceId: number): void {
    this.#epoch++
    this.#entries.delete(sourceId)
  }

  clear(): void {
    this.#epoch++
    this.#entries.clear()
  }
}

/** `running` depends on the clock (a lease expires without any write), so it is recomputed per read. */
function withLiveRunning(record: SourceRecord): SourceRecord {
  const collection = record.collection
  if (!collection?.leaseExpiresAt) return record
  const running = Date.parse(collection.leaseExpiresAt) > Date.now()
  return running === collection.running ? record : { ...record, collection: { ...collection, running } }
}
