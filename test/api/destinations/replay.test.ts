// A replay of a stored time range sends again exactly the events stored in that range that the
// destination's filter matches: nothing outside the range, nothing the filter leaves out, each once.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { assertDeliveredExactlyOnce, startFakeWebhook } from '../../fakes/receivers/index.js'
import { makeDue } from '../../helpers/collecting.js'
import { type CollectedSource, type DeliveryHarness, eventually, quietPeriod, startDeliveryHarness } from './delivery-harness.js'

let h: DeliveryHarness
let audit: CollectedSource
let auth: CollectedSource
/** Before the first run, between the runs, after the second. */
let t0: Date
let t1: Date
let t2: Date
/** The audit events of each run. */
let firstRun: Set<string>
let secondRun: Set<string>

beforeAll(async () => {
  h = await startDeliveryHarness()
  t0 = new Date()
  audit = await h.collect('AUDIT_LOG', { files: 2, perFile: 10 })
  auth = await h.collect('AUTH_LOG', { files: 1, perFile: 10 })
  firstRun = new Set(audit.ids)
  t1 = new Date()
  const { c } = h
  c.fake.addGeneratedFiles('AUDIT_LOG', 1, 15)
  const [lastRun] = await c.runs(audit.sourceId)
  await makeDue(c, audit.sourceId)
  expect((await c.waitForRun(audit.sourceId, lastRun.id)).status).toBe('succeeded')
  secondRun = new Set([...c.fake.expectedEventIds('AUDIT_LOG')].filter((e) => !firstRun.has(e)))
  expect(secondRun.size).toBe(15)
  t2 = new Date()
})
afterAll(async () => {
  await h?.close()
})

describe('replay of a time range', () => {
  it('sends again exactly the matching events stored in the range', async () => {
    const hook = await startFakeWebhook()
    onTestFinished(() => hook.close())
    // Audit events only: the auth events stored in the same range must not be sent.
    const id = await h.createDestination({ type: 'webhook', config: { url: hook.url }, filter: { eventTypes: ['AUDIT'] } })
    onTestFinished(() => h.remove(id))
    await h.waitCaughtUp(id)
    assertDeliveredExactlyOnce(new Set([...firstRun, ...secondRun]), hook)

    const replayed = async (from: Date, to: Date, expected: Set<string>) => {
      hook.clearRecords()
      await h.replay(id, { from: from.toISOString(), to: to.toISOString() })
      const db = h.service.database.db
      await eventually(async () => Number((await sql<{ n: number }>`select count(*) as n from destination_replays where destination_id = ${id}`.execute(db)).rows[0]!.n) === 0, 'the replay finished')
      await quietPeriod(200)
      assertDeliveredExactlyOnce(expected, hook)
      // Sent as replay batches; the destination's own cursor did not move back.
      expect(hook.batches.every((b) => b.batchId.startsWith(`${id}-replay-`))).toBe(true)
      const view = await h.destination(id)
      expect(view.delivery.lagEvents).toBe(0)
      expect(hook.violations).toEqual([])
    }
    // The auth events were stored in the first range too: only the filter keeps them out.
    const inFirstRange = await sql<{ n: number }>`select count(*) as n from events where source_id = ${auth.sourceId} and received_at >= ${t0} and received_at < ${t1}`.execute(h.service.database.db)
    expect(Number(inFirstRange.rows[0]!.n)).toBe(auth.ids.size)
    await replayed(t0, t1, firstRun)
    await replayed(t1, t2, secondRun)
    await replayed(t0, t2, new Set([...firstRun, ...secondRun]))
    // A range with nothing stored in it sends nothing.
    await replayed(new Date(t0.getTime() - 3_600_000), t0, new Set())
    expect(hook.requests).toEqual([])
  })
})
