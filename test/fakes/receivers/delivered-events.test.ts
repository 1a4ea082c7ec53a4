import { afterEach, describe, expect, it } from 'vitest'
import { assertDeliveredAtLeastOnce, assertDeliveredExactlyOnce, compareDelivery, tallyDeliveredEvents } from './delivered-events.js'
import { startFakeElasticsearch, type FakeElasticsearch } from './elasticsearch.js'
import { startFakeSplunkHec, type FakeSplunkHec } from './splunk-hec.js'
import { CHANNEL, deliver, eventually, events, send } from './test-support.js'
import { startFakeWebhook, type FakeWebhook } from './webhook.js'

const expected = events('ev', 4).map((e) => e.id)

let open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.map((f) => f.close()))
  open = []
})
async function track<T extends { close(): Promise<void> }>(fake: Promise<T>): Promise<T> {
  const started = await fake
  open.push(started)
  return started
}

describe('delivered event ids', () => {
  it('exactly once: every expected id stored once passes both assertions', async () => {
    const hook = await track(startFakeWebhook())
    await deliver(hook, events('ev', 2))
    await deliver(hook, events('ev', 4).slice(2))
    expect(() => assertDeliveredExactlyOnce(expected, hook)).not.toThrow()
    expect(() => assertDeliveredAtLeastOnce(expected, hook)).not.toThrow()
    expect(tallyDeliveredEvents(hook)).toMatchObject({ total: 4, duplicates: [], withoutId: 0 })
  })

  it('a batch resent after a lost answer is at-least-once but not exactly-once', async () => {
    const hook: FakeWebhook = await track(startFakeWebhook())
    hook.faults.hangNext(1, { accept: true })
    void deliver(hook, events('ev', 4), { batchId: 'b1', timeoutMs: 60_000 }) // its answer never comes
    await eventually(() => hook.requests.length === 1)
    expect((await deliver(hook, events('ev', 4), { batchId: 'b1' })).status).toBe(200)
    expect(() => assertDeliveredAtLeastOnce(expected, hook)).not.toThrow()
    expect(() => assertDeliveredExactlyOnce(expected, hook)).toThrow('delivery is not exactly-once: 4 stored more than once (ev-0, ev-1, ev-2, ev-3)')
    expect(tallyDeliveredEvents(hook).counts.get('ev-2')).toBe(2)
    expect(hook.repeatedBatchIds()).toEqual(['b1'])
  })

  it('a lost event fails both assertions, naming it', async () => {
    const hook = await track(startFakeWebhook())
    await deliver(hook, events('ev', 3))
    expect(() => assertDeliveredAtLeastOnce(expected, hook)).toThrow('delivery is not at-least-once: 1 missing (ev-3)')
    expect(() => assertDeliveredExactlyOnce(expected, hook)).toThrow('1 missing (ev-3)')
  })

  it('an event nobody expected fails exactly-once only', async () => {
    const hook = await track(startFakeWebhook())
    await deliver(hook, [...events('ev', 4), { id: 'stray' }])
    expect(() => assertDeliveredAtLeastOnce(expected, hook)).not.toThrow()
    expect(() => assertDeliveredExactlyOnce(expected, hook)).toThrow('1 not expected (stray)')
  })

  it('events without a readable id fail both, pointing at the eventId option', async () => {
    const hook = await track(startFakeWebhook())
    await deliver(hook, events('ev', 4))
    await send(hook.url, { headers: { 'content-type': 'application/x-ndjson', 'x-openc2c-batch-id': 'x' }, body: '{"uid":"no-id-field"}\n' })
    expect(() => assertDeliveredAtLeastOnce(expected, hook)).toThrow("1 stored events have no readable id (check the fake's eventId option)")
  })

  it('counts across fakes: a destination moved from Elasticsearch to HEC delivers each event once overall', async () => {
    const es: FakeElasticsearch = await track(startFakeElasticsearch())
    const hec: FakeSplunkHec = await track(startFakeSplunkHec({ acks: true }))
    await deliver(es, events('ev', 2))
    await deliver(hec, events('ev', 4).slice(2), { channel: CHANNEL })
    expect(() => assertDeliveredExactlyOnce(expected, es, hec)).not.toThrow()
    expect(() => assertDeliveredExactlyOnce(expected, es)).toThrow('2 missing (ev-2, ev-3)')
  })

  it('Elasticsearch holds an _id once even when it is sent twice, which exactly-once then confirms', async () => {
    const es = await track(startFakeElasticsearch())
    await deliver(es, events('ev', 4))
    await deliver(es, events('ev', 4))
    expect(es.documentCount()).toBe(4)
    expect(() => assertDeliveredExactlyOnce(expected, es)).not.toThrow()
  })

  it('HEC acks lost without indexing leave the events missing until resent', async () => {
    const hec = await track(startFakeSplunkHec({ acks: true }))
    hec.ackLostNext()
    await deliver(hec, events('ev', 4))
    expect(compareDelivery(expected, hec).missing).toEqual(expected)
    await deliver(hec, events('ev', 4))
    expect(() => assertDeliveredExactlyOnce(expected, hec)).not.toThrow()
  })

  it('the eventId option reads the id wherever the destination puts it', async () => {
    const hook = await track(startFakeWebhook({ eventId: (event) => (event as { meta?: { uid?: string } }).meta?.uid }))
    await send(hook.url, {
      headers: { 'content-type': 'application/x-ndjson', 'x-openc2c-batch-id': 'm' },
      body: '{"meta":{"uid":"u-1"}}\n{"meta":{"uid":"u-2"}}\n',
    })
    expect([...tallyDeliveredEvents(hook).ids]).toEqual(['u-1', 'u-2'])
  })

  it('lists at most ten ids in a message', () => {
    const many = Array.from({ length: 12 }, (_, i) => `m-${i}`)
    expect(() => assertDeliveredAtLeastOnce(many, { acceptedEvents: () => [] })).toThrow(
      'delivery is not at-least-once: 12 missing (m-0, m-1, m-2, m-3, m-4, m-5, m-6, m-7, m-8, m-9, …)',
    )
  })
})
