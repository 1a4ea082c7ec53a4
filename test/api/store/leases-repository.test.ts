// Leases: one holder per source, fenced writes, recovery after expiry. On Postgres the concurrent
// claims really race (SKIP LOCKED); on PGlite they are serialised, and must still be unique.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { LeaseLostError, LeasesRepository } from '../../../api/store/leases-repository.js'
import { useStore } from '../../helpers/store.js'

const store = useStore('leases')
const newSource = async () => (await store.newSource()).id
const onlyDue = (ids: number[]) => store.onlyDue(ids)

describe('LeasesRepository', () => {
  it('claims a due source once; it is not claimable again while the lease holds', async () => {
    const id = await newSource()
    await onlyDue([id])
    const a = await store.leases.claim('worker-a', 60_000)
    expect(a).toMatchObject({ id: id, owner: 'worker-a', recovered: false, consecutiveFailures: 0 })
    expect(await store.leases.claim('worker-b', 60_000)).toBeUndefined()
    expect(await store.leases.renew(a!, 60_000)).toBe(true)
  })

  it('a lease that expired mid-run is claimable at once (recovered), with a higher generation; the old holder is fenced out', async () => {
    const id = await newSource()
    await onlyDue([id])
    const old = (await store.leases.claim('dead-worker', 60_000))!
    await sql`update source_leases set lease_expires_at = now() - interval '1 millisecond' where source_id = ${id}`.execute(store.t.database.db)
    const fresh = await store.leases.claim('live-worker', 60_000)
    expect(fresh).toMatchObject({ id: id, recovered: true })
    expect(fresh!.generation).toBe(old.generation + 1)
    expect(await store.leases.renew(old, 60_000)).toBe(false)
    await expect(store.ingest.startRun(old)).rejects.toBeInstanceOf(LeaseLostError)
    const runId = await store.ingest.startRun(fresh!)
    const batch = {
      stream: 'AUDIT_LOG',
      origin: 'eclf_x',
      metadataId: await store.ingest.metadataId(id, { _source: 's' }),
      events: [{ eventId: 'e1', type: 'AUDIT_LOG', occurredAt: '2026-01-01T00:00:00Z', raw: '{"event_id":"e1"}' }],
      quarantined: [],
      position: { after: 'x' },
      originsCompleted: 1,
      newestEventAt: '2026-01-01T00:00:00Z',
    }
    await expect(store.ingest.commit(old, runId, batch)).rejects.toBeInstanceOf(LeaseLostError)
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from events where source_id = ${id}`.execute(store.t.database.db)).rows[0]!.n)
    expect(await count()).toBe(0)
    expect(await store.ingest.loadPosition(id, 'AUDIT_LOG')).toBeUndefined()
    expect(await store.ingest.commit(fresh!, runId, batch)).toEqual({ stored: 1, duplicates: 0, quarantined: 0 })
    expect(await count()).toBe(1)
    // The same batch again stores nothing new: the event is counted as a duplicate.
    expect(await store.ingest.commit(fresh!, runId, batch)).toEqual({ stored: 0, duplicates: 1, quarantined: 0 })
  })

  it('an expired lease, even if nobody re-claimed it, can neither renew nor commit', async () => {
    const id = await newSource()
    await onlyDue([id])
    const lease = (await store.leases.claim('slow-worker', 60_000))!
    await sql`update source_leases set lease_expires_at = now() - interval '1 millisecond' where source_id = ${id}`.execute(store.t.database.db)
    expect(await store.leases.renew(lease, 60_000)).toBe(false)
    await expect(store.ingest.finishRun(lease, 0, 'succeeded', [])).rejects.toBeInstanceOf(LeaseLostError)
  })

  it('blocked sources are not claimed; a requested run is claimed first and unblocks', async () => {
    const [blocked, normal, requested] = [await newSource(), await newSource(), await newSource()]
    await onlyDue([blocked, normal])
    await sql`update source_leases set blocked = true where source_id = ${blocked}`.execute(store.t.database.db)
    await store.leases.requestRun(requested)
    expect((await store.leases.claim('w', 60_000))?.id).toBe(requested)
    expect((await store.leases.claim('w', 60_000))?.id).toBe(normal)
    expect(await store.leases.claim('w', 60_000)).toBeUndefined()
    await store.leases.requestRun(blocked)
    expect((await store.leases.claim('w', 60_000))?.id).toBe(blocked)
  })

  it('does not hand a caller a source it says it is still running', async () => {
    const id = await newSource()
    await onlyDue([id])
    const first = (await store.leases.claim('paused-worker', 60_000))!
    await sql`update source_leases set lease_expires_at = now() - interval '1 millisecond' where source_id = ${id}`.execute(store.t.database.db)
    expect(await store.leases.claim('paused-worker', 60_000, [id])).toBeUndefined()
    expect(await store.leases.claim('other-worker', 60_000, [])).toMatchObject({ id: id, generation: first.generation + 1 })
  })

  it('release schedules the next run and frees the source', async () => {
    const id = await newSource()
    await onlyDue([id])
    const lease = (await store.leases.claim('w', 60_000))!
    const next = new Date(Date.now() + 3_600_000)
    expect(await store.leases.release(lease, { nextRunAt: next, blocked: false, consecutiveFailures: 0 })).toBe(true)
    const view = await store.leases.view(id)
    expect(view).toMatchObject({ running: false, blocked: false })
    expect(view!.nextRunAt.getTime()).toBe(next.getTime())
    expect(await store.leases.release(lease, { nextRunAt: next, blocked: false, consecutiveFailures: 0 })).toBe(false)
  })

  it('a failed run blocks and backs off only while the source keeps the config version it ran with', async () => {
    const id = await newSource()
    const version = (await store.sources.getById(id))!.version
    const later = new Date(Date.now() + 3_600_000)
    await onlyDue([id])
    const first = (await store.leases.claim('w', 60_000))!
    expect(await store.leases.release(first, { nextRunAt: later, blocked: true, consecutiveFailures: 2, configVersion: version })).toBe(true)
    expect(await store.leases.view(id)).toMatchObject({ blocked: true, nextRunAt: later })

    // Updated while the next run was going: that run's failure says nothing about the new config.
    await store.leases.requestRun(id)
    const second = (await store.leases.claim('w', 60_000))!
    await sql`update sources set version = version + 1 where id = ${id}`.execute(store.t.database.db)
    expect(await store.leases.release(second, { nextRunAt: later, blocked: true, consecutiveFailures: 3, configVersion: version })).toBe(true)
    const view = (await store.leases.view(id))!
    expect(view.blocked).toBe(false)
    expect(view.nextRunAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000)
    const row = await store.t.database.db.selectFrom('source_leases').select('consecutive_failures').where('source_id', '=', id).executeTakeFirstOrThrow()
    expect(Number(row.consecutive_failures)).toBe(0)
  })

  it('a restart requested during a run outlives that run’s block', async () => {
    const id = await newSource()
    await onlyDue([id])
    const lease = (await store.leases.claim('w', 60_000))!
    await store.leases.requestRun(id)
    expect(await store.leases.release(lease, { nextRunAt: new Date(Date.now() + 3_600_000), blocked: true, consecutiveFailures: 1 })).toBe(true)
    expect(await store.leases.view(id)).toMatchObject({ blocked: false, runRequested: true })
    expect((await store.leases.claim('w', 60_000))?.id).toBe(id)
  })

  it('concurrent claimers never claim one source twice', async () => {
    const ids: number[] = []
    for (let i = 0; i < 30; i++) ids.push(await newSource())
    await onlyDue(ids)
    const claimed: number[] = []
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const claim = await store.leases.claim(`worker-${w}`, 60_000)
          if (!claim) return
          claimed.push(claim.id)
        }
      }),
    )
    expect(claimed.sort((a, b) => a - b)).toEqual(ids)
  })
})
