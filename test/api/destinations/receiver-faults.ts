// The faults every HTTP receiver can show, run against one destination kind: 5xx, 429 with
// Retry-After, a hang, a connection reset, and refused credentials. Each test holds the fault until
// the destination's state and /metrics show it, lifts it, and then checks that every event arrived
// (once, unless the fault let a request be stored without its answer coming back) and that the
// destination is back to Delivering with nothing counted against it.
import { expect, it, onTestFinished } from 'vitest'
import { assertDeliveredAtLeastOnce, assertDeliveredExactlyOnce, compareDelivery, type FakeReceiver } from '../../fakes/receivers/index.js'
import { type CollectedSource, type DeliveryHarness, quietPeriod } from './delivery-harness.js'

export interface ReceiverUnderTest<F extends FakeReceiver<string>> {
  /** The destination kind. */
  type: string
  /** A label for the test names (e.g. "with indexerAck"). */
  variant?: string
  start(): Promise<F>
  /** The fake's route events go to. */
  route: string
  config(fake: F): Record<string, unknown>
  /** A config the receiver refuses for good (wrong credentials), and the status it answers. */
  refusedConfig(fake: F): { config: Record<string, unknown>; status: number }
  /** The ids the fake reads from the events it stores, for these upstream ids. */
  receiverIds(upstreamIds: Set<string>): Set<string>
  /** The receiver keeps each event once even when it gets it again (Elasticsearch's `_id`). */
  keepsOnce: boolean
}

/** Registers the fault tests for one kind; `h` and `source` are read when the tests run. */
export function receiverFaultTests<F extends FakeReceiver<string>>(h: () => DeliveryHarness, source: () => CollectedSource, spec: ReceiverUnderTest<F>): void {
  const label = spec.variant ? `${spec.type} ${spec.variant}` : spec.type

  const setUp = async () => {
    const fake = await spec.start()
    onTestFinished(() => fake.close())
    const expected = spec.receiverIds(source().ids)
    return { fake, expected, n: source().ids.size }
  }
  const create = async (config: Record<string, unknown>) => {
    const id = await h().createDestination({ type: spec.type, config, filter: { sourceIds: [source().sourceId] } })
    onTestFinished(() => h().remove(id))
    return id
  }
  const labels = (id: number) => ({ destination_id: String(id) })

  /** After recovery: caught up, Delivering, every event counted once, the state metric says so. */
  const expectRecovered = async (id: number, fake: F, expected: Set<string>, n: number) => {
    const view = await h().waitCaughtUp(id)
    expect(view.delivery.deadLetters).toBe(0)
    expect(view.state).toEqual({ state: 'Delivering' })
    const m = await h().metrics()
    expect(m.value('openc2c_destination_state', { ...labels(id), state: 'Delivering', error_type: '' })).toBe(1)
    expect(m.value('openc2c_destination_state', { ...labels(id), state: 'Error' })).toBeUndefined()
    expect(m.value('openc2c_destination_lag_events', labels(id))).toBe(0)
    expect(m.value('openc2c_destination_events_delivered_total', labels(id))).toBe(n)
    expect(fake.violations).toEqual([])
    assertDeliveredAtLeastOnce(expected, fake)
  }

  /** While the fault holds: Error / DestinationGeneric with this code, failures counted, nothing delivered. */
  const expectFailing = async (id: number, code: string, n: number, minFailures = 2) => {
    const view = await h().waitForDestination(
      id,
      (d) => d.state.state === 'Error' && d.state.errorCode === code && d.delivery.consecutiveFailures >= minFailures,
      `${label}: Error ${code} after ${minFailures} failures`,
    )
    expect(view.state.errorType).toBe('DestinationGeneric')
    expect(view.state.errorInfo).toEqual(expect.any(String))
    expect(view.delivery.lagEvents).toBe(n)
    const m = await h().metrics()
    expect(m.value('openc2c_destination_state', { ...labels(id), state: 'Error', error_type: 'DestinationGeneric' })).toBe(1)
    expect(m.value('openc2c_destination_lag_events', labels(id))).toBe(n)
    expect(m.value('openc2c_destination_request_duration_seconds_count', { ...labels(id), type: spec.type, outcome: 'retry' })).toBeGreaterThanOrEqual(minFailures)
    return view
  }

  it(`${label}: 5xx answers are retried until the receiver recovers`, async () => {
    const { fake, expected, n } = await setUp()
    fake.faults.failNext(1, { status: 500 }).failNext(1, { status: 502 }).failNext(1, { status: 504 }).failNext(10_000, { status: 503 })
    const id = await create(spec.config(fake))
    await expectFailing(id, 'http.503', n, 4)
    expect(fake.acceptedEvents()).toHaveLength(0)
    fake.faults.clear()
    await expectRecovered(id, fake, expected, n)
    // A 5xx stores nothing: each event arrived exactly once.
    assertDeliveredExactlyOnce(expected, fake)
    expect(new Set(fake.requestsTo(spec.route).map((r) => r.status))).toEqual(new Set([500, 502, 504, 503, 200]))
  })

  it(`${label}: a 429 waits out Retry-After before sending again`, async () => {
    const { fake, expected, n } = await setUp()
    fake.faults.throttleNext(1, { retryAfterSeconds: 1 })
    const id = await create(spec.config(fake))
    await expectFailing(id, 'http.429', n, 1)
    await expectRecovered(id, fake, expected, n)
    assertDeliveredExactlyOnce(expected, fake)
    // The fake's own arrival times: the request after the 429 came at least the Retry-After later
    // (the retry backoff alone is a few milliseconds here).
    const [throttled, next] = fake.requestsTo(spec.route)
    expect(throttled!.status).toBe(429)
    expect(Date.parse(next!.at) - Date.parse(throttled!.at)).toBeGreaterThanOrEqual(1000)
  })

  it(`${label}: a receiver that never answers times out and is retried; a batch stored without its answer is sent again`, async () => {
    const { fake, expected, n } = await setUp()
    // The first request is stored but its answer never comes; the rest are not even stored.
    fake.faults.hangNext(1, { accept: true }).hangNext(10_000)
    const id = await create(spec.config(fake))
    await expectFailing(id, 'timeout', n, 2)
    const storedUnanswered = new Set(fake.acceptedEvents().map((e) => e.id))
    expect(storedUnanswered.size).toBeGreaterThan(0)
    expect(fake.requestsTo(spec.route).every((r) => r.outcome === 'hung' || r.outcome === 'client_closed')).toBe(true)
    fake.faults.clear()
    await expectRecovered(id, fake, expected, n)
    const { duplicates } = compareDelivery(expected, fake)
    if (spec.keepsOnce) assertDeliveredExactlyOnce(expected, fake)
    else {
      // At least once: the only repeats are the events of the request whose answer was lost.
      expect(duplicates.length).toBeGreaterThan(0)
      for (const d of duplicates) expect(storedUnanswered.has(d), `${d} repeated`).toBe(true)
    }
  })

  it(`${label}: a connection reset mid-request is retried`, async () => {
    const { fake, expected, n } = await setUp()
    fake.faults.resetNext(10_000, { afterBytes: 1 })
    const id = await create(spec.config(fake))
    const failing = await expectFailing(id, 'network', n, 2)
    expect(failing.state.errorInfo).toMatch(/request failed/)
    expect(fake.requestsTo(spec.route).every((r) => r.outcome === 'reset')).toBe(true)
    fake.faults.clear()
    await expectRecovered(id, fake, expected, n)
    assertDeliveredExactlyOnce(expected, fake)
  })

  /** A refusal of our credentials: DestinationConfig, paused, nothing sent while paused. */
  const expectPaused = async (id: number, fake: F, status: number) => {
    const view = await h().waitForDestination(id, (d) => d.state.state === 'Error' && !d.delivery.delivering, `${label}: paused`)
    expect(view.state).toMatchObject({ state: 'Error', errorType: 'DestinationConfig', errorCode: `http.${status}` })
    const m = await h().metrics()
    expect(m.value('openc2c_destination_state', { ...labels(id), state: 'Error', error_type: 'DestinationConfig' })).toBe(1)
    expect(m.value('openc2c_destination_request_duration_seconds_count', { ...labels(id), type: spec.type, outcome: 'config' })).toBe(1)
    const seen = fake.requests.length
    expect(seen).toBeGreaterThan(0)
    // Paused: ten idle polls later, no request was made, and the state is unchanged.
    await quietPeriod(500)
    expect(fake.requests.length).toBe(seen)
    expect((await h().destination(id)).state).toEqual(view.state)
  }

  it(`${label}: a 401 pauses delivery until a restart`, async () => {
    const { fake, expected, n } = await setUp()
    fake.faults.unauthorizedNext(1)
    const id = await create(spec.config(fake))
    await expectPaused(id, fake, 401)
    expect(fake.acceptedEvents()).toHaveLength(0)
    await h().restart(id)
    await expectRecovered(id, fake, expected, n)
    assertDeliveredExactlyOnce(expected, fake)
  })

  it(`${label}: refused credentials pause delivery until a PUT fixes them`, async () => {
    const { fake, expected, n } = await setUp()
    const refused = spec.refusedConfig(fake)
    const id = await create(refused.config)
    await expectPaused(id, fake, refused.status)
    expect(fake.acceptedEvents()).toHaveLength(0)
    await h().replace(id, () => ({ config: spec.config(fake) }))
    await expectRecovered(id, fake, expected, n)
    assertDeliveredExactlyOnce(expected, fake)
  })
}
