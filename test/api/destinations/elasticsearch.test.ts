// Elasticsearch delivery under every receiver fault, and `_bulk` answers that fail some items: items
// refused with 429 or 5xx are sent again alone until they pass, items refused with another 4xx become
// dead letters with Elasticsearch's reason, and a replay delivers them once the receiver takes them.
// Every `_id` is held once whatever was sent again.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { stableEventId } from '../../../api/destinations/wire.js'
import { assertDeliveredExactlyOnce, type FakeElasticsearch, startFakeElasticsearch } from '../../fakes/receivers/index.js'
import { type CollectedSource, type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js'
import { receiverFaultTests } from './receiver-faults.js'

const SOURCE_TYPE = 'ChatGPT Compliance'
const esId = (upstreamId: string) => stableEventId(SOURCE_TYPE, upstreamId)
const esIds = (ids: Iterable<string>) => new Set([...ids].map(esId))

let h: DeliveryHarness
let audit: CollectedSource

beforeAll(async () => {
  h = await startDeliveryHarness()
  audit = await h.collect('AUDIT_LOG', { files: 3, perFile: 10 })
})
afterAll(async () => {
  await h?.close()
})

const basic = (es: FakeElasticsearch, index = 'openc2c') => ({ url: es.url, index, username: es.username, password: es.password })

describe('receiver faults', () => {
  receiverFaultTests<FakeElasticsearch>(() => h, () => audit, {
    type: 'elasticsearch',
    start: () => startFakeElasticsearch(),
    route: 'bulk',
    config: (es) => basic(es),
    refusedConfig: (es) => ({ config: { ...basic(es), password: 'not-the-password' }, status: 401 }),
    receiverIds: esIds,
    // A create of an `_id` already held answers 409: sending a batch again duplicates nothing.
    keepsOnce: true,
  })
})

describe('partial _bulk failures', () => {
  it('retries 429 and 5xx items alone, dead-letters other 4xx items with the reason, and a replay delivers them', async () => {
    const es = await startFakeElasticsearch()
    onTestFinished(() => es.close())
    const ordered = await h.idsInSeqOrder(audit.sourceId)
    const rejectedTwice = ordered[2]!
    const unavailableOnce = ordered[17]!
    const unparsable = ordered[5]!
    const unmappable = ordered[25]!
    es.failItems([esId(rejectedTwice)], 'rejected', { times: 2 })
    es.failItems([esId(unavailableOnce)], { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' })
    es.failItems([esId(unparsable)], 'document_parsing')
    es.failItems([esId(unmappable)], { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [event.actor]' }, { times: 2 })
    const id = await h.createDestination({ type: 'elasticsearch', config: basic(es), filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(id))
    const view = await h.waitCaughtUp(id)
    expect(view.delivery.deadLetters).toBe(2)

    // Each item's history: the retryable ones were sent alone after their failure, until they passed.
    const history = (upstreamId: string) =>
      es.bulkRequests.filter((r) => r.items.some((i) => i.id === esId(upstreamId))).map((r) => ({ items: r.items.length, status: r.items.find((i) => i.id === esId(upstreamId))!.status }))
    expect(history(rejectedTwice)).toEqual([
      { items: 10, status: 429 },
      { items: 1, status: 429 },
      { items: 1, status: 201 },
    ])
    expect(history(unavailableOnce)).toEqual([
      { items: 10, status: 503 },
      { items: 1, status: 201 },
    ])
    // The permanently refused ones were never sent again.
    expect(history(unparsable)).toEqual([{ items: 10, status: 400 }])
    expect(history(unmappable)).toEqual([{ items: 10, status: 400 }])

    const refused = new Set([unparsable, unmappable])
    assertDeliveredExactlyOnce(esIds(ordered.filter((e) => !refused.has(e))), es)
    const letters = await h.deadLetters(id)
    expect(letters.map((l) => l.eventId)).toEqual([unparsable, unmappable])
    expect(letters.every((l) => l.sourceId === audit.sourceId)).toBe(true)
    expect(letters[0].reason).toMatch(/^400 document_parsing_exception: /)
    expect(letters[1].reason).toBe('400 mapper_parsing_exception: failed to parse field [event.actor]')
    const m = await h.metrics()
    const labels = { destination_id: String(id) }
    expect(m.value('openc2c_destination_dead_letters_total', labels)).toBe(2)
    expect(m.value('openc2c_destination_events_delivered_total', labels)).toBe(ordered.length - 2)
    expect(m.value('openc2c_destination_lag_events', labels)).toBe(0)

    // First replay: one is taken now, the other is refused again and stays, with its new refusal.
    const bulkBefore = es.bulkRequests.length
    await h.replay(id, { deadLetters: true })
    await h.waitForDestination(id, (d) => d.delivery.deadLetters === 1 && history(unmappable).length === 2, 'the first replay done')
    const [left] = await h.deadLetters(id)
    expect(left.eventId).toBe(unmappable)
    expect(Date.parse(left.at)).toBeGreaterThan(Date.parse(letters[1].at))
    // Second replay, the receiver takes it: the list is empty, every _id held once.
    await h.replay(id, { deadLetters: true })
    await h.waitForDestination(id, (d) => d.delivery.deadLetters === 0, 'the dead letters replayed')
    expect(await h.deadLetters(id)).toEqual([])
    assertDeliveredExactlyOnce(esIds(ordered), es)
    // The replays sent the dead letters and nothing else.
    const replayed = es.bulkRequests.slice(bulkBefore).flatMap((r) => r.items.map((i) => i.id))
    expect(new Set(replayed)).toEqual(esIds(refused))
    expect((await h.metrics()).value('openc2c_destination_events_delivered_total', labels)).toBe(ordered.length)
    expect(es.violations).toEqual([])
  })
})

describe('authentication', () => {
  it('delivers with basic auth and with an API key, and never shows either secret', async () => {
    const es = await startFakeElasticsearch()
    onTestFinished(() => es.close())
    const withPassword = await h.createDestination({ type: 'elasticsearch', config: basic(es, 'basic-auth'), filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(withPassword))
    const withKey = await h.createDestination({ type: 'elasticsearch', config: { url: es.url, index: 'api-key', apiKey: es.apiKey }, filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(withKey))
    expect((await h.waitCaughtUp(withPassword)).config).toMatchObject({ username: es.username, password: '********' })
    expect((await h.waitCaughtUp(withKey)).config).toMatchObject({ apiKey: '********' })

    for (const index of ['basic-auth', 'api-key']) expect(new Set(es.documents(index).keys())).toEqual(esIds(audit.ids))
    // Which scheme each index's requests carried (the fake checked the credentials themselves).
    const schemes = new Map<string, Set<string>>()
    for (const bulk of es.bulkRequests) {
      const scheme = es.requests.find((r) => r.seq === bulk.requestSeq)!.headers.authorization!
      for (const item of bulk.items) schemes.set(item.index, (schemes.get(item.index) ?? new Set()).add(scheme))
    }
    expect(schemes).toEqual(
      new Map([
        ['basic-auth', new Set(['Basic [redacted]'])],
        ['api-key', new Set(['ApiKey [redacted]'])],
      ]),
    )
    expect(es.violations).toEqual([])
  })
})
