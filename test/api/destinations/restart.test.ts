// A restart retries at once, an update applies at once, even while a failed delivery waits out a long
// backoff: the receiver answered 429 with Retry-After: 600, so without them nothing would be sent
// again for ten minutes, far past these tests' timeouts.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { assertDeliveredAtLeastOnce, startFakeWebhook } from '../../fakes/receivers/index.js'
import { type CollectedSource, type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js'

let h: DeliveryHarness
let audit: CollectedSource
beforeAll(async () => {
  h = await startDeliveryHarness()
  audit = await h.collect('AUDIT_LOG', { files: 2, perFile: 15 })
})
afterAll(async () => {
  await h?.close()
})

describe('during a long backoff', () => {
  it('a restart sends again at once', async () => {
    const hook = await startFakeWebhook()
    onTestFinished(() => hook.close())
    hook.faults.throttleNext(1, { retryAfterSeconds: 600 })
    const id = await h.createDestination({ type: 'webhook', config: { url: hook.url }, filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(id))
    const failed = await h.waitForDestination(id, (d) => d.state.state === 'Error', 'the 429')
    expect(failed.state).toMatchObject({ errorType: 'DestinationGeneric', errorCode: 'http.429' })
    await h.restart(id)
    await h.waitCaughtUp(id)
    assertDeliveredAtLeastOnce(audit.ids, hook)
    expect(hook.requestsTo('ingest', 429)).toHaveLength(1)
  })

  it('an update applies at once', async () => {
    const down = await startFakeWebhook()
    const up = await startFakeWebhook()
    onTestFinished(async () => {
      await down.close()
      await up.close()
    })
    down.faults.throttleNext(1, { retryAfterSeconds: 600 })
    const id = await h.createDestination({ type: 'webhook', config: { url: down.url }, filter: { sourceIds: [audit.sourceId] } })
    onTestFinished(() => h.remove(id))
    await h.waitForDestination(id, (d) => d.state.state === 'Error', 'the 429')
    await h.replace(id, () => ({ config: { url: up.url } }))
    await h.waitCaughtUp(id)
    assertDeliveredAtLeastOnce(audit.ids, up)
  })
})
