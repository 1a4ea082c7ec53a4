// The scheduler in a running service: next run one interval after the last start (with jitter),
// API-only replicas, the concurrency limit, stopping, wake-ups, and retention.
import { sql } from 'kysely'
import pino from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RetentionPruner } from '../../../api/scheduler/retention.js'
import { Scheduler } from '../../../api/scheduler/scheduler.js'
import type { RunDeps } from '../../../api/scheduler/source-run.js'
import type { Claim, LeasesRepository } from '../../../api/store/leases-repository.js'
import { type Collecting, makeDue, startCollecting } from '../../helpers/collecting.js'
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
    // The succeeded run, not merely the first to finish: a run that failed on a transient error is
    // retried within ~50 ms here (OPENC2C_RUN_RETRY_BASE_MS), and only a success schedules 6 h ahead.
    // The failed runs' errors are printed to say why, if there are any.
    let runs: any[] = []
    await c.waitFor(async () => (runs = await c!.runs(sourceId)).some((r: any) => r.status === 'succeeded'), 'a succeeded run')
    const failed = runs.filter((r: any) => r.status !== 'succeeded' && r.status !== 'running')
    if (failed.length > 0) process.stdout.write(`scheduler.test.ts: runs before the success: ${JSON.stringify(failed)}\n`)
    // The run is marked succeeded, then the lease is released with the next run time, in two
    // transactions (source-run.ts): read the lease once it is released. Reading it in between saw the
    // creation-time next_run_at, 73 ms before the start, once in CI.
    const lease = () => c!.t.service.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', sourceId).executeTakeFirstOrThrow()
    await c.waitFor(async () => (await lease()).lease_owner === null, 'the lease released after the run')
    const row = await lease()
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

  it('prunes events stored longer ago than the retention period and keeps newer ones, whatever their timestamp', async () => {
    c = await startCollecting({ env: { OPENC2C_EVENT_RETENTION_DAYS: '7' } })
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 4)
    const sourceId = await c.createSource()
    await c.waitForRun(sourceId)
    const db = c.t.service.database.db
    const [old, late] = await db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).limit(2).execute()
    await sql`update events set received_at = now() - interval '8 days' where event_id = ${old!.event_id}`.execute(db)
    await sql`update events set occurred_at = now() - interval '400 days' where event_id = ${late!.event_id}`.execute(db)
    expect(await c.t.service.app.ctx.events.prune(7)).toMatchObject({ events: 1 })
    const left = await c.storedEventIds(sourceId)
    expect(left.ids.size).toBe(3)
    expect(left.ids.has(old!.event_id)).toBe(false)
    expect(left.ids.has(late!.event_id)).toBe(true)
  })

  it('a run whose claim lands after stop() was called starts no upstream work and leaves the source due', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 3)
    const { leases } = c.t.service.app.ctx
    const scheduler = c.t.service.scheduler!
    const claim = leases.claim.bind(leases)
    let stopping: Promise<void> | undefined
    // SIGTERM arrives while the claim query is in flight: the claim comes back after the stop signal.
    vi.spyOn(leases, 'claim').mockImplementation(async (...args) => {
      const claimed = await claim(...args)
      if (claimed) stopping ??= scheduler.stop()
      return claimed
    })
    const sourceId = await c.createSource()
    await c.waitFor(async () => stopping !== undefined, 'the claim')
    await stopping
    expect(c.fake.requests).toEqual([])
    const lease = await c.t.service.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', sourceId).executeTakeFirstOrThrow()
    expect(lease.lease_owner).toBeNull()
    expect(lease.next_run_at.getTime()).toBeLessThanOrEqual(Date.now())
    expect(lease.blocked).toBe(false)
  })

  it('a run that fails with a config the source no longer has leaves the new config to run: no Error, no block', async () => {
    c = await startCollecting()
    const { fake } = c
    // ~250 KB served 4 KiB every 50 ms: the run spends seconds on this download, and lists AUDIT
    // (with the key it started with) only after it.
    fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 200)
    fake.addGeneratedFiles('AUDIT_LOG', 1, 3)
    fake.slowNext('signed', { chunkBytes: 4096, delayMs: 50 }, 1)
    const config = { enabledEventType: ['CONVERSATION', 'AUDIT'] }
    const sourceId = await c.createSource(config)
    await c.waitFor(async () => fake.requestsTo('signed').length === 1, 'the first download to start')

    // The user rotates the key while that run is downloading; the old key stops working.
    const newKey = 'sk-proj-rotated-key-0123456789'
    fake.addApiKey(newKey)
    const current = await c.t.request('GET', c.sourcePath(sourceId))
    const body = { source: { sourceType: 'Universal', schemaRef: { type: 'ChatGPT Compliance' }, config: { ...current.json().source.config, apiKey: newKey } } }
    const put = await c.t.request('PUT', c.sourcePath(sourceId), body, { 'if-match': current.headers.etag as string })
    expect(put.statusCode).toBe(200)
    fake.revokeKey()

    // The old run fails on the old key (401) ...
    const failed = await c.waitForRun(sourceId)
    expect(failed).toMatchObject({ status: 'failed' })
    expect(fake.requestsTo('list', 401).length).toBeGreaterThan(0)
    // ... and that says nothing about the new key: the source runs again with it and collects.
    const next = await c.waitForRun(sourceId, failed.id)
    expect(next).toMatchObject({ status: 'succeeded' })
    const source = await c.source(sourceId)
    expect(source.state).toEqual({ state: 'Collecting' })
    const lease = await c.t.service.database.db.selectFrom('source_leases').selectAll().where('source_id', '=', sourceId).executeTakeFirstOrThrow()
    expect(lease.blocked).toBe(false)
    expect(Number(lease.consecutive_failures)).toBe(0)
  })

  it('a source of a type this replica does not know gets an Error state and its lease back', async () => {
    c = await startCollecting()
    const sourceId = await c.createSource()
    await c.waitForRun(sourceId)
    const db = c.t.service.database.db
    await sql`update sources set schema_type = 'Some Future Source' where id = ${sourceId}`.execute(db)
    await makeDue(c, sourceId)
    const row = () => db.selectFrom('sources as s').innerJoin('source_leases as l', 'l.source_id', 's.id').selectAll().where('s.id', '=', sourceId).executeTakeFirstOrThrow()
    await c.waitFor(async () => (await row()).state === 'Error', 'the Error state')
    const after = await row()
    expect(after).toMatchObject({ error_type: 'FirstPartyGeneric', error_code: 'source.type.unknown', lease_owner: null, blocked: false })
    expect(after.error_info).toContain('Some Future Source')
    // Retried with backoff (another replica may know the type), not blocked and not hammered.
    expect(Number(after.consecutive_failures)).toBeGreaterThanOrEqual(1)
  })
})

/** A Scheduler over stub leases, for what happens between ticks. */
function stubScheduler(claim: LeasesRepository['claim'], pollMs = 60_000): Scheduler {
  return new Scheduler({
    deps: { leaseMs: 60_000, leases: { claim } as LeasesRepository, logger: pino({ level: 'silent' }) } as RunDeps,
    pollMs,
    maxConcurrentRuns: 1,
  })
}

describe('scheduler wake-ups and retention timing', () => {
  it('a wake-up during a tick is not lost: another tick follows at once, not a poll later', async () => {
    const pending: ((claim: Claim | undefined) => void)[] = []
    const claim = vi.fn(() => new Promise<Claim | undefined>((resolve) => pending.push(resolve)))
    const scheduler = stubScheduler(claim)
    scheduler.start()
    await vi.waitFor(() => expect(claim).toHaveBeenCalledTimes(1))
    // A restart request arrives while the tick's claim query is running (it may have missed it).
    scheduler.wake()
    pending.shift()!(undefined)
    await vi.waitFor(() => expect(claim).toHaveBeenCalledTimes(2), { timeout: 5000 })
    pending.shift()!(undefined)
    await scheduler.stop()
  })

  it('retention prunes on its own timer, even while a scheduler tick hangs', async () => {
    let release: (() => void) | undefined
    const scheduler = stubScheduler(() => new Promise((resolve) => (release = () => resolve(undefined))))
    const prune = vi.fn(async () => ({ events: 0, quarantined: 0, runs: 0 }))
    const pruner = new RetentionPruner({ events: { prune }, logger: pino({ level: 'silent' }), retentionDays: 30, everyMs: 10 })
    scheduler.start()
    pruner.start()
    await vi.waitFor(() => expect(release).toBeDefined())
    await vi.waitFor(() => expect(prune.mock.calls.length).toBeGreaterThanOrEqual(2), { timeout: 5000 })
    expect(prune).toHaveBeenCalledWith(30, expect.any(AbortSignal))
    release!()
    await Promise.all([scheduler.stop(), pruner.stop()])
  })

  it('stopping retention interrupts a long prune (it stops between batches) instead of waiting for it', async () => {
    let signal: AbortSignal | undefined
    const prune = vi.fn(
      (_days: number, s?: AbortSignal) =>
        new Promise<{ events: number; quarantined: number; runs: number }>((resolve) => {
          signal = s
          // A backlog that only ends when asked to stop.
          s?.addEventListener('abort', () => resolve({ events: 5, quarantined: 0, runs: 0 }))
        }),
    )
    const pruner = new RetentionPruner({ events: { prune }, logger: pino({ level: 'silent' }), retentionDays: 30, everyMs: 60_000 })
    pruner.start()
    await vi.waitFor(() => expect(prune).toHaveBeenCalledTimes(1))
    expect(signal?.aborted).toBe(false)
    await pruner.stop()
    expect(signal?.aborted).toBe(true)
  })
})
