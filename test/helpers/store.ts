// The store's repositories over a fresh test database (PGlite, or Postgres with TEST_DATABASE_URL),
// for tests of the repositories themselves: one collector to hang sources on, sources with unique
// names, and claims that pick exactly the source a test means.
import { sql } from 'kysely'
import { afterAll, beforeAll } from 'vitest'
import { EventsRepository } from '../../api/store/events-repository.js'
import { IngestRepository } from '../../api/store/ingest-repository.js'
import { type Claim, LeasesRepository } from '../../api/store/leases-repository.js'
import { type SourceRecord, SourcesRepository, type SourceValues } from '../../api/store/sources-repository.js'
import { openTestDatabase, type TestDatabase } from './db.js'

export interface StoreFixture {
  t: TestDatabase
  leases: LeasesRepository
  sources: SourcesRepository
  ingest: IngestRepository
  events: EventsRepository
  collectorId: number
  /** Source values with `name` as both the source's and the config's name. */
  values(name: string, config?: Record<string, unknown>): SourceValues
  /** A new ChatGPT Compliance source with a unique name (s1, s2, …). */
  newSource(config?: Record<string, unknown>): Promise<SourceRecord>
  /** Makes only `ids` due (every other lease released and postponed), so a claim picks among them. */
  onlyDue(ids: number[]): Promise<void>
  /** Makes only `id` due and claims it. */
  claimOnly(id: number, owner?: string): Promise<Claim>
  close(): Promise<void>
}

export async function openStore(collectorName: string): Promise<StoreFixture> {
  const t = await openTestDatabase()
  const db = t.database.db
  const leases = new LeasesRepository(db)
  const collectorId = Number((await db.insertInto('collectors').values({ name: collectorName, time_zone: 'UTC', fields: '{}' }).returning('id').executeTakeFirstOrThrow()).id)
  const sources = new SourcesRepository(db, leases)
  let counter = 0
  const values = (name: string, config: Record<string, unknown> = {}): SourceValues => ({ name, schemaType: 'ChatGPT Compliance', config: { name, ...config }, secrets: null })
  const onlyDue = async (ids: number[]) => {
    await sql`update source_leases set next_run_at = now() + interval '1 day', run_requested = false, lease_owner = null, lease_expires_at = null`.execute(db)
    if (ids.length > 0) await sql`update source_leases set next_run_at = now() - interval '1 second' where source_id in (${sql.join(ids)})`.execute(db)
  }
  return {
    t,
    leases,
    sources,
    ingest: new IngestRepository(db, leases),
    events: new EventsRepository(db),
    collectorId,
    values,
    newSource: (config) => sources.create(collectorId, values(`s${++counter}`, config)),
    onlyDue,
    async claimOnly(id, owner = 'worker') {
      await onlyDue([id])
      const claim = await leases.claim(owner, 60_000)
      if (claim?.id !== id) throw new Error(`expected to claim source ${id}, got ${claim?.id}`)
      return claim
    },
    close: () => t.close(),
  }
}

/**
 * Registers beforeAll/afterAll hooks that open and close a store for the calling test file, and
 * returns it; its members are there once beforeAll has run (inside tests and hooks).
 */
export function useStore(collectorName: string): StoreFixture {
  const store = {} as StoreFixture
  beforeAll(async () => {
    Object.assign(store, await openStore(collectorName))
  })
  afterAll(async () => {
    await store.close?.()
  })
  return store
}
