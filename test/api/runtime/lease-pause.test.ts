// A run that outlives its own lease — the process was paused or starved for longer than the lease
// (a long GC pause, CPU starvation, a frozen VM or container, a laptop's sleep) — must not collide
// with the run that replaces it. Another replica taking over is the designed case (its own data
// directory, fenced writes). The case here is the same process: once its lease has expired, its
// scheduler must not claim the source again while its earlier run of that source is still going —
// both runs would use the same spool file, and the first one's clean-up deletes the file the
// second one is downloading ("ENOENT … spool/<source>/<file>.jsonl", a failed run, the source in
// Error until the retry).
//
// Seen first with SIGSTOP/SIGCONT of the service process on embedded PGlite, where it depends on
// whether the scheduler's poll or the lease renewal runs first after the pause. Deterministic here:
// the lease is ended in the database while a run downloads a slowly served file, and the scheduler
// is woken. Failed on both databases before 57e3c7d (the scheduler now skips sources it runs).
// In-process service (test/helpers/collecting.ts).
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Collecting, startCollecting } from '../../helpers/collecting.js'
import { compareSets, noDifference } from './exact-set.js'

let c: Collecting | undefined
afterEach(async () => {
  await c?.close()
  c = undefined
})

describe('a run that outlives its lease', () => {
  it('is not joined by a second run of the same source in the same process; nothing fails and the set is exact', async () => {
    // A 30 s lease is renewed every 10 s: the run does not notice the lost lease by itself soon.
    c = await startCollecting({ env: { OPENC2C_LEASE_SECONDS: '30' } })
    const { fake } = c
    // ~3.6 MB served in 64 KiB pieces 50 ms apart: each download of the file takes ~3 s.
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 3000)
    fake.slowNext('signed', { chunkBytes: 64 * 1024, delayMs: 50 }, 10)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    await c.waitFor(async () => fake.requestsTo('signed').length === 1, 'the first download to start')
    await new Promise((r) => setTimeout(r, 300))

    // The lease runs out while the run is still downloading, and the scheduler polls.
    const db = c.t.service.database.db
    await sql`update source_leases set lease_expires_at = now() - interval '1 second' where source_id = ${sourceId}`.execute(db)
    const owner = (await db.selectFrom('source_leases').select('lease_owner').where('source_id', '=', sourceId).executeTakeFirstOrThrow()).lease_owner
    c.t.service.scheduler!.wake()

    await c.waitFor(async () => (await c!.runs(sourceId)).some((r: any) => r.status === 'succeeded'), 'a succeeded run', 60_000)
    const runs = await c.runs(sourceId)
    const owners = await db.selectFrom('source_runs').select(['id', 'owner']).where('source_id', '=', sourceId).orderBy('id').execute()
    process.stdout.write(
      `lease-pause.test.ts: runs ${JSON.stringify(runs.map((r: any) => ({ id: r.id, status: r.status, errors: r.errors.map((e: any) => e.message.slice(0, 160)) })))}; ` +
        `downloads of the file: ${fake.requestsTo('signed').filter((r) => r.fileId === file!.id).length}\n`,
    )
    // Every run was this process's (there is no other), so a second one means a re-claim by itself.
    expect(owners.every((r) => r.owner === owner)).toBe(true)
    // Nothing in this scenario is a reason for a run to fail: no upstream fault, no bad data.
    expect(runs.filter((r: any) => r.status === 'failed')).toEqual([])
    const stored = await c.storedEventIds(sourceId)
    expect(stored.rows).toBe(stored.ids.size)
    expect(compareSets(stored.ids, fake.expectedEventIds())).toEqual(noDifference(3000))
  })
})
