// replace() and the run's state writes: a PUT resets an Error and unblocks in its own transaction
// and answers with the row it wrote; a run's state write never lands on a config it did not run.
import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'
import { LeaseLostError } from '../../../api/store/leases-repository.js'
import { SourcesRepository } from '../../../api/store/sources-repository.js'
import { usingPostgres } from '../../helpers/db.js'
import { useStore } from '../../helpers/store.js'

const store = useStore('sources')
const values = (name: string, config?: Record<string, unknown>) => store.values(name, config)
const newSource = () => store.newSource()
const claimOnly = (id: number) => store.claimOnly(id)

const leaseRow = (id: number) => store.t.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', id).executeTakeFirstOrThrow()

describe('SourcesRepository.replace', () => {
  it('answers with the row its own update wrote, read inside its transaction', async () => {
    const s = await newSource()
    // A read after the transaction (getById/get, what replace() once did) could return a newer row
    // that another writer committed in between; any such read is made to see that newer row here.
    const readById = SourcesRepository.prototype.getById
    const read = SourcesRepository.prototype.get
    const someoneElse = async (id: number) => {
      await sql`update sources set version = version + 1, config = '{"name":"someone-else"}' where id = ${id}`.execute(store.t.database.db)
    }
    const getById = vi.spyOn(store.sources, 'getById').mockImplementation(async (id) => {
      await someoneElse(id)
      return readById.call(store.sources, id)
    })
    const get = vi.spyOn(store.sources, 'get').mockImplementation(async (cid, id) => {
      await someoneElse(id)
      return read.call(store.sources, cid, id)
    })
    try {
      const result = await store.sources.replace(store.collectorId, s.id, s.version, values(s.name, { description: 'ours' }))
      expect(result.kind).toBe('updated')
      if (result.kind !== 'updated') return
      expect(result.record.version).toBe(s.version + 1)
      expect(result.record.config).toEqual({ name: s.name, description: 'ours' })
    } finally {
      getById.mockRestore()
      get.mockRestore()
    }
  })

  it.skipIf(!usingPostgres)('waits for a run that holds the lease row and checks the source, instead of deadlocking with it', async () => {
    const s = await newSource()
    await sql`update sources set state = 'Error', error_type = 'ThirdPartyGeneric' where id = ${s.id}`.execute(store.t.database.db)
    const claim = await claimOnly(s.id)
    // A run's write on its own connection: fence (lease row) first, then a row whose foreign key
    // share-locks the source row, as IngestRepository.startRun does.
    const run = new pg.Client({ connectionString: store.t.location.databaseUrl })
    await run.connect()
    try {
      await run.query('begin')
      await run.query(`select 1 from source_leases where source_id = $1 and generation = $2 for update`, [s.id, claim.generation])
      const replacing = store.sources.replace(store.collectorId, s.id, s.version, values(s.name, { description: 'fixed' }))
      // Give replace() time to take whatever it locks first (it must queue behind the lease row).
      await new Promise((r) => setTimeout(r, 200))
      await run.query(`insert into source_runs (source_id, generation, owner) values ($1, $2, 'worker')`, [s.id, claim.generation])
      await run.query('commit')
      const result = await replacing
      expect(result.kind).toBe('updated')
    } finally {
      await run.end()
    }
  })

  it('puts a source in Error back to Pending and unblocks it, due at once with a fresh failure count, in the same transaction', async () => {
    const s = await newSource()
    await sql`update sources set state = 'Error', error_type = 'ThirdPartyConfig', error_code = 'http.401', error_info = 'bad key' where id = ${s.id}`.execute(store.t.database.db)
    await sql`update source_leases set blocked = true, consecutive_failures = 3, next_run_at = now() + interval '1 hour' where source_id = ${s.id}`.execute(store.t.database.db)
    const result = await store.sources.replace(store.collectorId, s.id, s.version, values(s.name, { description: 'fixed' }))
    expect(result.kind).toBe('updated')
    if (result.kind !== 'updated') return
    expect(result.record.state).toEqual({ state: 'Pending' })
    // The answer already shows the lease as replace() left it.
    expect(Date.parse(result.record.collection!.nextRunAt)).toBeLessThanOrEqual(Date.now() + 1000)
    const lease = await leaseRow(s.id)
    expect(lease.blocked).toBe(false)
    expect(Number(lease.consecutive_failures)).toBe(0)
    expect(lease.next_run_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it('leaves the state and schedule of a healthy source alone', async () => {
    const s = await newSource()
    await sql`update sources set state = 'Collecting' where id = ${s.id}`.execute(store.t.database.db)
    await sql`update source_leases set consecutive_failures = 0, next_run_at = now() + interval '1 hour' where source_id = ${s.id}`.execute(store.t.database.db)
    const before = await leaseRow(s.id)
    const result = await store.sources.replace(store.collectorId, s.id, s.version, values(s.name, { description: 'changed' }))
    expect(result.kind === 'updated' && result.record.state).toEqual({ state: 'Collecting' })
    expect((await leaseRow(s.id)).next_run_at.getTime()).toBe(before.next_run_at.getTime())
  })

  it('answers stale for an old version and missing for an unknown source', async () => {
    const s = await newSource()
    expect((await store.sources.replace(store.collectorId, s.id, s.version + 5, values(s.name))).kind).toBe('stale')
    expect((await store.sources.replace(store.collectorId, 987_654_321, 1, values('nobody'))).kind).toBe('missing')
  })
})

describe('SourcesRepository.setRunState', () => {
  it('applies while the source has the config version the run read, and not after an update', async () => {
    const s = await newSource()
    const claim = await claimOnly(s.id)
    expect(await store.sources.setRunState(claim, s.version, { state: 'Started' })).toBe(true)
    expect((await store.sources.getById(s.id))!.state).toEqual({ state: 'Started' })
    const replaced = await store.sources.replace(store.collectorId, s.id, s.version, values(s.name, { apiKey: '********', description: 'new key' }))
    expect(replaced.kind).toBe('updated')
    const error = { state: 'Error' as const, errorType: 'ThirdPartyConfig' as const, errorCode: 'http.401', errorInfo: 'old key rejected' }
    expect(await store.sources.setRunState(claim, s.version, error)).toBe(false)
    expect((await store.sources.getById(s.id))!.state).toEqual({ state: 'Started' })
    expect(await store.sources.setRunState(claim, s.version + 1, error)).toBe(true)
    expect((await store.sources.getById(s.id))!.state).toEqual(error)
  })

  it('is fenced by the lease', async () => {
    const s = await newSource()
    const claim = await claimOnly(s.id)
    await sql`update source_leases set lease_expires_at = now() - interval '1 millisecond' where source_id = ${s.id}`.execute(store.t.database.db)
    await expect(store.sources.setRunState(claim, s.version, { state: 'Collecting' })).rejects.toBeInstanceOf(LeaseLostError)
    expect((await store.sources.getById(s.id))!.state).toEqual({ state: 'Pending' })
  })
})
