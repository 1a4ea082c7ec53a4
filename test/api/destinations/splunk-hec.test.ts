// Splunk HEC delivery under every receiver fault, with and without indexer acknowledgement: acks that
// come late, answer false for a while, or never come; a restart while batches await their acks; and a
// batch Splunk refuses part of (`invalid-event-number`).
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { assertDeliveredAtLeastOnce, assertDeliveredExactlyOnce, compareDelivery, defaultEventId, type FakeSplunkHec, startFakeSplunkHec, tallyDeliveredEvents } from '../../fakes/receivers/index.js'
import { type CollectedSource, type DeliveryHarness, eventually, startDeliveryHarness } from './delivery-harness.js'
import { receiverFaultTests } from './receiver-faults.js'

let h: DeliveryHarness
let audit: CollectedSource

beforeAll(async () => {
  h = await startDeliveryHarness()
  audit = await h.collect('AUDIT_LOG', { files: 3, perFile: 10 })
})
afterAll(async () => {
  await h?.close()
})

for (const indexerAck of [false, true]) {
  describe(`receiver faults, indexerAck ${indexerAck}`, () => {
    receiverFaultTests<FakeSplunkHec>(() => h, () => audit, {
      type: 'splunk_hec',
      variant: indexerAck ? 'with indexerAck' : 'without indexerAck',
      start: () => startFakeSplunkHec({ acks: indexerAck }),
      route: 'event',
      config: (fake) => ({ url: fake.url, token: fake.token, indexerAck }),
      // An unknown token: 403 "Invalid token" (code 4).
      refusedConfig: (fake) => ({ config: { url: fake.url, token: '00000000-0000-0000-0000-000000000000', indexerAck }, status: 403 }),
      receiverIds: (ids) => ids,
      keepsOnce: false,
    })
  })
}

/** A fake HEC and a destination on it with indexer acknowledgement, both gone after the test. */
async function ackedDestination(harness: DeliveryHarness, source: CollectedSource, fakeOptions: Parameters<typeof startFakeSplunkHec>[0] = {}) {
  const hec = await startFakeSplunkHec({ acks: true, ...fakeOptions })
  onTestFinished(() => hec.close())
  const create = async () => {
    const id = await harness.createDestination({ type: 'splunk_hec', config: { url: hec.url, token: hec.token, indexerAck: true }, filter: { sourceIds: [source.sourceId] } })
    onTestFinished(() => harness.remove(id))
    return id
  }
  return { hec, create }
}

/** The upstream ids of the envelopes of one event request. */
const idsOfRequest = (hec: FakeSplunkHec, requestSeq: number) =>
  hec.envelopes.filter((e) => e.requestSeq === requestSeq).map((e) => defaultEventId(e.envelope!.event))

describe('indexer acknowledgement lost', () => {
  it('a batch whose ack never comes is sent again after the ack timeout, and arrives', async () => {
    const { hec, create } = await ackedDestination(h, audit)
    // The first batch's ack id never turns true and its events were not indexed.
    hec.ackLostNext(1, { indexed: false })
    const id = await create()
    await h.waitCaughtUp(id)
    const lost = hec.acks[0]!
    expect(lost.plan).toEqual({ kind: 'lost', indexed: false })
    expect(lost.confirmed).toBe(false)
    expect(lost.polls).toBeGreaterThan(1)
    // The lost batch went out again, whole, in a later request, and was acknowledged that time.
    const first = idsOfRequest(hec, lost.requestSeq)
    expect(first).toHaveLength(10)
    const resend = hec.acks.find((a) => a.requestSeq > lost.requestSeq && idsOfRequest(hec, a.requestSeq).join() === first.join())
    expect(resend, 'the resent batch').toBeDefined()
    expect(resend!.confirmed).toBe(true)
    assertDeliveredExactlyOnce(audit.ids, hec)
    const m = await h.metrics()
    const labels = { destination_id: String(id) }
    // Four requests awaited an ack (three batches and the resend); every event counted once.
    expect(m.value('openc2c_destination_request_duration_seconds_count', { ...labels, outcome: 'awaiting_ack' })).toBe(4)
    expect(m.value('openc2c_destination_events_delivered_total', labels)).toBe(audit.ids.size)
    expect(hec.violations).toEqual([])
  })

  it('a batch indexed but whose ack was lost is sent again: at least once, the repeats are that batch', async () => {
    const { hec, create } = await ackedDestination(h, audit)
    hec.ackLostNext(1, { indexed: true })
    const id = await create()
    await h.waitCaughtUp(id)
    const first = idsOfRequest(hec, hec.acks[0]!.requestSeq)
    assertDeliveredAtLeastOnce(audit.ids, hec)
    expect(compareDelivery(audit.ids, hec).duplicates.sort()).toEqual([...first].sort())
  })
})

describe('invalid-event-number', () => {
  for (const indexerAck of [false, true]) {
    it(`indexerAck ${indexerAck}: the refused event is a dead letter, the rest are sent again${indexerAck ? ', those before it too, for an acknowledgement' : ', those before it count'}`, async () => {
      const hec = await startFakeSplunkHec({ acks: indexerAck })
      onTestFinished(() => hec.close())
      const ordered = await h.idsInSeqOrder(audit.sourceId)
      // The fifth event of the second batch.
      const refused = ordered[14]!
      hec.refuseEvents([refused])
      const id = await h.createDestination({ type: 'splunk_hec', config: { url: hec.url, token: hec.token, indexerAck }, filter: { sourceIds: [audit.sourceId] } })
      onTestFinished(() => h.remove(id))
      const view = await h.waitCaughtUp(id)
      expect(view.delivery.deadLetters).toBe(1)

      const refusing = hec.requestsTo('event', 400)
      expect(refusing).toHaveLength(1)
      expect(idsOfRequest(hec, refusing[0]!.seq)).toEqual(ordered.slice(10, 14))
      const after = hec.requestsTo('event').filter((r) => r.seq > refusing[0]!.seq)
      // A 400 carries no ack id: with acknowledgement on, what Splunk kept before the refused event
      // does not count until it is sent again and acknowledged.
      expect(idsOfRequest(hec, after[0]!.seq)).toEqual(indexerAck ? [...ordered.slice(10, 14), ...ordered.slice(15, 20)] : ordered.slice(15, 20))

      const expected = new Set(ordered.filter((e) => e !== refused))
      if (indexerAck) {
        assertDeliveredAtLeastOnce(expected, hec)
        expect(tallyDeliveredEvents(hec).duplicates.sort()).toEqual(ordered.slice(10, 14).sort())
      } else assertDeliveredExactlyOnce(expected, hec)
      const letters = await h.deadLetters(id)
      expect(letters).toEqual([{ eventId: refused, sourceId: audit.sourceId, reason: expect.stringContaining('Invalid data format'), at: expect.any(String) }])
      expect(letters[0].reason).toContain('code 6')
      const m = await h.metrics()
      const labels = { destination_id: String(id) }
      expect(m.value('openc2c_destination_dead_letters_total', labels)).toBe(1)
      expect(m.value('openc2c_destination_events_delivered_total', labels)).toBe(ordered.length - 1)
      expect(hec.violations).toEqual([])
    })
  }
})

describe('acknowledgements that take their time (ack timeout 60 s)', () => {
  let slow: DeliveryHarness
  let auth: CollectedSource
  beforeAll(async () => {
    slow = await startDeliveryHarness({ OPENC2C_DELIVERY_ACK_TIMEOUT_SECONDS: '60' })
    auth = await slow.collect('AUTH_LOG', { files: 3, perFile: 10 })
  })
  afterAll(async () => {
    await slow?.close()
  })

  it('acks false for a while: polled until true, nothing sent twice', async () => {
    const { hec, create } = await ackedDestination(slow, auth)
    hec.ackFalseForNext(5, 3)
    const id = await create()
    await slow.waitCaughtUp(id)
    expect(hec.acks.slice(0, 3).map((a) => [a.confirmed, a.polls])).toEqual([
      [true, 6],
      [true, 6],
      [true, 6],
    ])
    expect(hec.requestsTo('event')).toHaveLength(3)
    assertDeliveredExactlyOnce(auth.ids, hec)
  })

  it('ack polls that fail or are throttled are retried (Retry-After honoured); nothing is sent twice', async () => {
    const { hec, create } = await ackedDestination(slow, auth)
    hec.faults.throttleNext(1, { route: 'ack', retryAfterSeconds: 1 }).failNext(10_000, { route: 'ack', status: 503 })
    const id = await create()
    const failing = await slow.waitForDestination(id, (d) => d.state.errorCode === 'http.503' && d.delivery.consecutiveFailures >= 3, 'ack polls failing')
    expect(failing.state).toMatchObject({ state: 'Error', errorType: 'DestinationGeneric' })
    // Taken by the receiver but not acknowledged: still waiting.
    expect(failing.delivery.lagEvents).toBe(auth.ids.size)
    hec.faults.clear()
    await slow.waitCaughtUp(id)
    const polls = hec.requestsTo('ack')
    expect(polls[0]!.status).toBe(429)
    expect(Date.parse(polls[1]!.at) - Date.parse(polls[0]!.at)).toBeGreaterThanOrEqual(1000)
    expect(hec.requestsTo('event')).toHaveLength(3)
    assertDeliveredExactlyOnce(auth.ids, hec)
  })

  it('late acks: the events count only once acknowledged, and a restart polls the stored ack ids instead of sending again', async () => {
    let skewMs = 0
    const { hec, create } = await ackedDestination(slow, auth, { now: () => Date.now() + skewMs })
    // Indexed, but acknowledged only an hour (of the fake's clock) after each request.
    hec.ackLateNext(3_600_000, 100)
    const id = await create()
    await eventually(() => hec.acceptedEvents().length === auth.ids.size && hec.acks.every((a) => a.polls > 0), 'every batch stored and its ack polled')
    const waiting = await slow.destination(id)
    // Stored by the receiver, not acknowledged: not delivered.
    expect(waiting.delivery.lagEvents).toBe(auth.ids.size)
    expect(waiting.delivery.lastSuccessAt).toBeNull()
    const channel = hec.acks[0]!.channel
    expect(new Set(hec.acks.map((a) => a.channel))).toEqual(new Set([channel]))

    await slow.restartService()
    const pollsAtRestart = hec.acks.map((a) => a.polls)
    const requestsAtRestart = hec.requests.length
    // The new service asks about the same ack ids on the same channel...
    await eventually(() => hec.acks.every((a, i) => a.polls > pollsAtRestart[i]!), 'the stored ack ids polled again after the restart')
    const polls = hec.requests.slice(requestsAtRestart).filter((r) => r.route === 'ack')
    expect(polls.every((r) => r.query.some(([k, v]) => k === 'channel' && v === channel))).toBe(true)
    // ...and sends nothing again.
    expect(hec.requests.slice(requestsAtRestart).filter((r) => r.route === 'event')).toEqual([])

    skewMs = 3_600_000
    const done = await slow.waitCaughtUp(id)
    expect(done.delivery.lastSuccessAt).not.toBeNull()
    expect(hec.requestsTo('event')).toHaveLength(3)
    assertDeliveredExactlyOnce(auth.ids, hec)
    expect((await slow.metrics()).value('openc2c_destination_events_delivered_total', { destination_id: String(id) })).toBe(auth.ids.size)
    expect(hec.violations).toEqual([])
  })
})
