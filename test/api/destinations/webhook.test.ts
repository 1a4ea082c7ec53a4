// Webhook delivery under every receiver fault; gzip, custom headers (secret values, sent on every
// request), the body's signature checked by the receiver, and one batch id across the retries of a batch.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { assertDeliveredAtLeastOnce, compareDelivery, type FakeWebhook, startFakeWebhook } from '../../fakes/receivers/index.js'
import { type CollectedSource, type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js'
import { receiverFaultTests } from './receiver-faults.js'

const SIGNING_KEY = 'whsec-4c1d0e8a9b7f6e5d4c3b2a19'
const API_KEY = 'hdr-secret-91f3b7c2d8e4a6f0'

let h: DeliveryHarness
let audit: CollectedSource

beforeAll(async () => {
  h = await startDeliveryHarness()
  audit = await h.collect('AUDIT_LOG', { files: 3, perFile: 10 })
})
afterAll(async () => {
  await h?.close()
})

describe('receiver faults', () => {
  receiverFaultTests<FakeWebhook>(() => h, () => audit, {
    type: 'webhook',
    start: () => startFakeWebhook({ signingKey: SIGNING_KEY }),
    route: 'ingest',
    config: (hook) => ({ url: hook.url, signingKey: SIGNING_KEY }),
    // Signed with another key: the receiver answers 401.
    refusedConfig: (hook) => ({ config: { url: hook.url, signingKey: `${SIGNING_KEY}-old` }, status: 401 }),
    receiverIds: (ids) => ids,
    keepsOnce: false,
  })
})

describe('requests', () => {
  it('gzip, custom headers and a valid signature on every request; a batch keeps its id (and body) across retries', async () => {
    const hook = await startFakeWebhook({ signingKey: SIGNING_KEY, requiredHeaders: { 'x-api-key': API_KEY } })
    onTestFinished(() => hook.close())
    // The first batch: two 503s, then stored without its answer coming back, then sent once more.
    hook.faults.failNext(2, { status: 503 }).hangNext(1, { accept: true })
    const id = await h.createDestination({
      type: 'webhook',
      config: { url: hook.url, gzip: true, headers: { 'X-Api-Key': API_KEY, 'X-Team': 'secops' }, signingKey: SIGNING_KEY },
      filter: { sourceIds: [audit.sourceId] },
    })
    onTestFinished(() => h.remove(id))
    const view = await h.waitCaughtUp(id)

    // The secrets read back masked, and are not stored in plain text.
    expect(view.config).toEqual({ url: hook.url, gzip: true, headers: { 'X-Api-Key': '********', 'X-Team': '********' }, signingKey: '********' })
    const stored = await sql<{ text: string }>`select config::text || coalesce(secrets, '') as text from destinations where id = ${id}`.execute(h.service.database.db)
    expect(stored.rows[0]!.text).not.toContain(API_KEY)
    expect(stored.rows[0]!.text).not.toContain(SIGNING_KEY)

    expect(hook.batches.length).toBeGreaterThan(0)
    for (const batch of hook.batches) {
      expect({ encoding: batch.encoding, signature: batch.signature, team: batch.headers['x-team'] }).toEqual({ encoding: 'gzip', signature: 'valid', team: 'secops' })
    }
    const requests = hook.requestsTo('ingest')
    expect(requests.slice(0, 4).map((r) => r.status)).toEqual([503, 503, 0, 200])
    const firstBatchId = requests[0]!.headers['x-openc2c-batch-id']
    expect(firstBatchId).toMatch(new RegExp(`^${id}-${audit.sourceId}-\\d+-\\d+$`))
    expect(requests.slice(0, 4).map((r) => r.headers['x-openc2c-batch-id'])).toEqual(Array(4).fill(firstBatchId))
    // The receiver could drop the repeat by its id: it is the only batch seen twice, with the same body
    // (a reused id with another body would be a violation).
    expect(hook.repeatedBatchIds()).toEqual([firstBatchId])
    expect(hook.violations).toEqual([])
    assertDeliveredAtLeastOnce(audit.ids, hook)
    const repeatedBatch = hook.batches.find((b) => b.batchId === firstBatchId)!
    expect(compareDelivery(audit.ids, hook).duplicates.sort()).toEqual(repeatedBatch.events.map((e) => (e as { id: string }).id).sort())
  })
})
