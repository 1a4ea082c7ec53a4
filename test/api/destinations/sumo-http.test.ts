// Sumo Logic HTTP source delivery under every receiver fault; one metadata group per request (the
// X-Sumo-Name, X-Sumo-Category and X-Sumo-Fields of the events' source), gzip, no request over 1 MB
// uncompressed, and an event that can never fit in one request kept as a dead letter.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { SUMO_MAX_BYTES } from '../../../api/destinations/sumo-http.js'
import { assertDeliveredExactlyOnce, type FakeSumoHttp, startFakeSumoHttp } from '../../fakes/receivers/index.js'
import { makeDue } from '../../helpers/collecting.js'
import { type CollectedSource, type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js'
import { receiverFaultTests } from './receiver-faults.js'

let h: DeliveryHarness
let audit: CollectedSource
let auth: CollectedSource

beforeAll(async () => {
  // Requests of up to 1 MB: a longer timeout than the other kinds' tests, so only the hang times out.
  h = await startDeliveryHarness({ OPENC2C_DELIVERY_TIMEOUT_MS: '1000' })
  audit = await h.collect('AUDIT_LOG', { files: 3, perFile: 10 }, { name: 'sumo-audit', category: 'chatgpt/audit', fields: { team: 'red' } })
  auth = await h.collect('AUTH_LOG', { files: 2, perFile: 10 }, { name: 'sumo-auth', category: 'chatgpt/auth', fields: { team: 'blue', env: 'prod' } })
})
afterAll(async () => {
  await h?.close()
})

async function sumoDestination(sourceIds: number[]): Promise<{ sumo: FakeSumoHttp; id: number }> {
  const sumo = await startFakeSumoHttp()
  onTestFinished(() => sumo.close())
  const id = await h.createDestination({ type: 'sumo_http', config: { url: sumo.url }, filter: { sourceIds } })
  onTestFinished(() => h.remove(id))
  return { sumo, id }
}

/** The upstream ids of a request's lines (each line is the upstream record). */
const lineIds = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id)

describe('receiver faults', () => {
  receiverFaultTests<FakeSumoHttp>(() => h, () => audit, {
    type: 'sumo_http',
    start: () => startFakeSumoHttp(),
    route: 'ingest',
    config: (sumo) => ({ url: sumo.url }),
    // The code in the URL is the credential: another one is a 401.
    refusedConfig: (sumo) => ({ config: { url: sumo.url.replace(sumo.code, `${sumo.code}x`) }, status: 401 }),
    receiverIds: (ids) => ids,
    keepsOnce: false,
  })
})

describe('requests', () => {
  it('one metadata group per request, with its source name, category and fields, gzip', async () => {
    const { sumo, id } = await sumoDestination([audit.sourceId, auth.sourceId])
    await h.waitCaughtUp(id)
    assertDeliveredExactlyOnce(new Set([...audit.ids, ...auth.ids]), sumo)
    const groups = [
      { source: audit, name: 'sumo-audit', category: 'chatgpt/audit', fields: { team: 'red' } },
      { source: auth, name: 'sumo-auth', category: 'chatgpt/auth', fields: { team: 'blue', env: 'prod' } },
    ]
    for (const batch of sumo.batches) {
      const ids = lineIds(batch.lines)
      const group = groups.find((g) => g.source.ids.has(ids[0]!))!
      expect(ids.every((e) => group.source.ids.has(e)), `request ${batch.requestSeq} holds one source's events`).toBe(true)
      expect({ name: batch.name, category: batch.category, fields: batch.fields, encoding: batch.encoding }).toEqual({ name: group.name, category: group.category, fields: group.fields, encoding: 'gzip' })
    }
    expect(new Set(sumo.batches.map((b) => b.name))).toEqual(new Set(['sumo-audit', 'sumo-auth']))
    expect(sumo.violations).toEqual([])
  })

  it('a source whose metadata changed between events: one batch, one request per metadata group', async () => {
    const { c } = h
    const codex = await h.collect('CODEX_LOG', { files: 1, perFile: 5 }, { name: 'sumo-codex', category: 'chatgpt/before', fields: { team: 'red' } })
    const before = new Set(codex.ids)
    // The source's category and fields change; its next events carry the new metadata.
    const got = await h.request('GET', c.sourcePath(codex.sourceId))
    const source = got.json().source
    const put = await h.request(
      'PUT',
      c.sourcePath(codex.sourceId),
      { source: { sourceType: source.sourceType, schemaRef: source.schemaRef, config: { ...source.config, category: 'chatgpt/after', fields: { team: 'green', tier: 'gold' } } } },
      { 'if-match': String(got.headers.etag) },
    )
    expect(put.statusCode, put.body).toBe(200)
    c.fake.addGeneratedFiles('CODEX_LOG', 1, 5)
    const after = new Set([...c.fake.expectedEventIds('CODEX_LOG')].filter((e) => !before.has(e)))
    const [lastRun] = await c.runs(codex.sourceId)
    await makeDue(c, codex.sourceId)
    expect((await c.waitForRun(codex.sourceId, lastRun.id)).status).toBe('succeeded')

    const { sumo, id } = await sumoDestination([codex.sourceId])
    await h.waitCaughtUp(id)
    // The ten events are one batch of the delivery (one send), sent as two requests.
    expect((await h.metrics()).value('openc2c_destination_request_duration_seconds_count', { destination_id: String(id), outcome: 'ok' })).toBe(1)
    expect(sumo.batches.map((b) => ({ category: b.category, fields: b.fields, ids: new Set(lineIds(b.lines)) }))).toEqual([
      { category: 'chatgpt/before', fields: { team: 'red' }, ids: before },
      { category: 'chatgpt/after', fields: { team: 'green', tier: 'gold' }, ids: after },
    ])
    expect(sumo.violations).toEqual([])
  })

  it('no request over 1 MB uncompressed; an event over 1 MB is a dead letter', async () => {
    const { c } = h
    // Eight events of 300 kB (batches of up to 1 MB of them), then one event of 1.1 MB.
    const app = await h.collect('APP_LOG', [
      { files: 2, perFile: 4, bytesPerEvent: 300_000 },
      { files: 1, perFile: 1, bytesPerEvent: 1_100_000 },
    ])
    const huge = [...c.fake.fileEventIds(c.fake.files('APP_LOG').at(-1)!.id)]
    expect(huge).toHaveLength(1)
    const { sumo, id } = await sumoDestination([app.sourceId])
    const view = await h.waitCaughtUp(id)
    expect(view.delivery.deadLetters).toBe(1)

    assertDeliveredExactlyOnce(new Set([...app.ids].filter((e) => e !== huge[0])), sumo)
    expect(sumo.oversizedBatches()).toEqual([])
    for (const b of sumo.batches) expect(b.uncompressedBytes).toBeLessThanOrEqual(SUMO_MAX_BYTES)
    // Close to the limit: three of the events went in one request.
    expect(Math.max(...sumo.batches.map((b) => b.lineCount))).toBe(3)

    const letters = await h.deadLetters(id)
    expect(letters).toEqual([{ eventId: huge[0], sourceId: app.sourceId, reason: expect.stringMatching(/more than the receiver takes in one request/), at: expect.any(String) }])
    expect((await h.metrics()).value('openc2c_destination_dead_letters_total', { destination_id: String(id) })).toBe(1)
    expect(sumo.violations).toEqual([])
  })
})
