// The scheduler in a running service: next run one interval after the last start (with jitter),
// API-only replicas, the concurrency limit, and retention.
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { type Collecting, startCollecting } from '../../helpers/collecting.js'
import { startTestService, type TestService } from '../../helpers/app.js'
import { chatGptSourceBody, collectorBody } from '../../helpers/fixtures.js'

let c: Collecting | undefined
let t: TestService | undefined
afterEach(async () => {
  await c?.close()
  await t?.close()
  c = undefined
  t = undefined
})

describe('scheduler', () => {
  it('schedules the next run one polling interval after the last start, plus at most 5% (≤ 5 min) jitter', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 3)
    const sourceId = await c.createSource({ pollingIntervalHour: '6h' })
    await c.waitForRun(sourceId)
    const row = await c.t.service.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', sourceId).executeTakeFirstOrThrow()
    const gap = row.next_run_at.getTime() - row.last_started_at!.getTime()
    expect(gap).toBeGreaterThanOrEqual(6 * 3_600_000 - 2000) // started is taken in Node, last_started_at in SQL
    expect(gap).toBeLessThanOrEqual(6 * 3_600_000 + 5 * 60_000 + 2000)
    const source = await c.source(sourceId)
    expect(new Date(source.collection.nextRunAt).getTime()).toBe(row.next_run_at.getTime())
    expect(source.collection.running).toBe(false)
  })

  it('OPENC2C_SCHEDULER=off serves the API but never claims a source', async () => {
    t = await startTestService({ OPENC2C_SCHEDULER: 'off' })
    expect(t.service.scheduler).toBeUndefined()
    const collector = (await t.request('POST', '/api/v1/collectors', collectorBody('api-only'))).json().collector
    const source = (await t.request('POST', `/api/v1/collectors/${collector.id}/sources`, chatGptSourceBody())).json().source
    expect(source.state).toEqual({ state: 'Pending' })
    await new Promise((r) => setTimeout(r, 500))
    const lease = await t.service.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', source.id).executeTakeFirstOrThrow()
    expect(lease.lease_owner).toBeNull()
    expect(Number(lease.generation)).toBe(0)
    expect((await t.request('POST', `/api/v1/collectors/${collector.id}/sources/${source.id}/action/restart`)).statusCode).toBe(200)
  })

  it('runs at most OPENC2C_MAX_CONCURRENT_RUNS sources at once', async () => {
    c = await startCollecting({ env: { OPENC2C_MAX_CONCURRENT_RUNS: '2' } })
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 30)
    c.fake.slowNext('signed', { chunkBytes: 1024, delayMs: 10 }, 20)
    const ids = [await c.createSource(), await c.createSource(), await c.createSource(), await c.createSource()]
    let maxRunning = 0
    await c.waitFor(async () => {
      maxRunning = Math.max(maxRunning, c!.t.service.scheduler!.runningSources.length)
      const runs = await Promise.all(ids.map((id) => c!.runs(id)))
      return runs.every((r) => r.some((run: any) => run.status === 'succeeded'))
    }, 'all four sources to finish a run', 60_000)
    expect(maxRunning).toBe(2)
    for (const id of ids) expect((await c.storedEventIds(id)).ids).toEqual(c.fake.expectedEventIds())
  })

  it('a clean stop mid-run records the run as interrupted and leaves the source due at once', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 40)
    c.fake.slowNext('signed', { chunkBytes: 256, delayMs: 20 }, 3)
    const sourceId = await c.createSource()
    await c.waitFor(async () => c!.fake.requestsTo('signed').length > 0, 'the first download')
    await c.t.service.scheduler!.stop()
    const [run] = await c.runs(sourceId)
    expect(run).toMatchObject({ status: 'interrupted' })
    expect(run.finishedAt).not.toBeNull()
    const source = await c.source(sourceId)
    expect(source.collection.running).toBe(false)
    expect(Date.parse(source.collection.nextRunAt)).toBeLessThanOrEqual(Date.now())
  })

  it('prunes events older than the retention period and keeps newer ones', async () => {
    c = await startCollecting({ env: { OPENC2C_EVENT_RETENTION_DAYS: '7' } })
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 4)
    const sourceId = await c.createSource()
    await c.waitForRun(sourceId)
    const db = c.t.service.database.db
    const [old] = await db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).limit(1).execute()
    await sql`update events set occurred_at = now() - interval '8 days' where event_id = ${old!.event_id}`.execute(db)
    expect(await c.t.service.app.ctx.events.prune(7)).toMatchObject({ events: 1 })
    const left = await c.storedEventIds(sourceId)
    expect(left.ids.size).toBe(3)
    expect(left.ids.has(old!.event_id)).toBe(false)
  })
})
