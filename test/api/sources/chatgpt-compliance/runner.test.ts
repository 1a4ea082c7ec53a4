// End-to-end collection against the fake Logs Platform: each fault switch of the fake drives a run,
// and the stored event set must then equal exactly what the fake published.
import { afterEach, describe, expect, it } from 'vitest'
import { type Collecting, expectExactlyStored, makeDue, startCollecting } from '../../../helpers/collecting.js'

let c: Collecting
afterEach(async () => {
  await c?.close()
})


describe('ChatGPT Compliance collection', () => {
  it('collects every enabled type exactly once, with metadata, and reaches Collecting', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 20)
    c.fake.addGeneratedFiles('AUDIT_LOG', 2, 15)
    c.fake.addGeneratedFiles('AUTH_LOG', 2, 5) // not enabled below: must not be collected
    const sourceId = await c.createSource({ enabledEventType: ['CONVERSATION', 'AUDIT'], category: 'chatgpt/logs', fields: { team: 'sec', _siemForward: true } })
    const run = await c.waitForRun(sourceId)
    expect(run).toMatchObject({ status: 'succeeded', origins: 5, eventsStored: 90, duplicatesSkipped: 0, quarantined: 0 })
    const expected = new Set([...c.fake.expectedEventIds('CONVERSATION_MESSAGE'), ...c.fake.expectedEventIds('AUDIT_LOG')])
    await expectExactlyStored(c, sourceId, expected)
    expect((await c.source(sourceId)).state).toEqual({ state: 'Collecting' })

    // The event read API pages through all of them in a stable order, with metadata and the raw event.
    const seen: any[] = []
    let after: string | null = null
    do {
      const res = await c.t.request('GET', `${c.sourcePath(sourceId)}/events?limit=7${after ? `&after=${after}` : ''}`)
      expect(res.statusCode).toBe(200)
      const page = res.json()
      seen.push(...page.events)
      after = page.next
    } while (after)
    expect(seen.map((e) => e.id).sort()).toEqual([...expected].sort())
    expect(seen[0].metadata).toEqual({ _source: 'chatgpt-1', _sourceCategory: 'chatgpt/logs', _collector: 'chatgpt', team: 'sec', _siemForward: true })
    expect(seen[0].event.event_id).toBe(seen[0].id)
    expect(['CONVERSATION_MESSAGE', 'AUDIT_LOG']).toContain(seen[0].type)
    expect(seen[0].timestamp).toBe(seen[0].event.timestamp)
    // The signed storage URL never saw the API key.
    expect(c.fake.requestsTo('signed').length).toBe(5)
    expect(c.fake.requestsTo('signed').every((r) => !r.authorization)).toBe(true)
  })

  it('a second run collects only new files', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 10)
    const sourceId = await c.createSource()
    const first = await c.waitForRun(sourceId)
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 10)
    c.fake.resetRequests()
    await makeDue(c, sourceId)
    const second = await c.waitForRun(sourceId, first.id)
    expect(second).toMatchObject({ status: 'succeeded', origins: 2, eventsStored: 20, duplicatesSkipped: 0 })
    expect(c.fake.requestsTo('signed')).toHaveLength(2)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })
})
