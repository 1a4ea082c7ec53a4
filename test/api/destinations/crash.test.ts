// Crash safety of delivery: the real service process collects from the fake Compliance API and
// delivers to one destination of every kind, and is killed with SIGKILL again and again while it
// delivers, then restarted on the same database and data directory. In the end every event reached
// every receiver at least once, the Elasticsearch fake holds each `_id` exactly once, the file
// destination wrote each event exactly once and no file under a final name is half written, and the
// dead letters are exactly the events Elasticsearch refused for good. Runs on embedded PGlite and on
// Postgres (TEST_DATABASE_URL). The seed is printed; CRASH_SEED=<n> replays the kill timings.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { stableEventId } from '../../../api/destinations/wire.js'
import { startFakeCompliance, type FakeCompliance } from '../../fakes/chatgpt/index.js'
import { createRng } from '../../fakes/chatgpt/seeded-random.js'
import {
  assertDeliveredAtLeastOnce,
  assertDeliveredExactlyOnce,
  type FakeElasticsearch,
  type FakeSplunkHec,
  type FakeSumoHttp,
  type FakeWebhook,
  startFakeElasticsearch,
  startFakeSplunkHec,
  startFakeSumoHttp,
  startFakeWebhook,
} from '../../fakes/receivers/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { api, waitUntil } from '../runtime/service-api.js'

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : crypto.randomInt(2 ** 31)
process.stdout.write(`destinations/crash.test.ts: seed ${SEED} (replay with CRASH_SEED=${SEED}), database ${usingPostgres ? 'Postgres' : 'embedded PGlite'}\n`)

const KILLS = 8
const SOURCE_TYPE = 'ChatGPT Compliance'

let fake: FakeCompliance | undefined
let service: RunningService | undefined
let receivers: { close(): Promise<void> }[] = []
let dir: string | undefined
afterEach(async () => {
  await service?.destroy()
  for (const r of receivers) await r.close()
  await fake?.close()
  if (dir) await fs.rm(dir, { recursive: true, force: true })
  service = fake = dir = undefined
  receivers = []
})

/** Every line of every file of the file destination, and the names of those files. */
async function fileLines(directory: string): Promise<{ finals: string[]; ids: string[] }> {
  const names = (await fs.readdir(directory)).sort()
  const finals = names.filter((n) => !n.startsWith('.'))
  const ids: string[] = []
  for (const name of names) {
    const text = await fs.readFile(path.join(directory, name), 'utf8')
    // Final files hold whole batches only: every line parses, and the file ends with a newline.
    if (!name.startsWith('.')) expect(text.endsWith('\n'), `${name} ends mid-line`).toBe(true)
    for (const line of text.split('\n').filter((l) => l !== '')) ids.push((JSON.parse(line) as { id: string }).id)
  }
  return { finals, ids }
}

describe('SIGKILL while delivering', () => {
  it(`${KILLS} kills: every receiver has every event, Elasticsearch each _id once, files each event once, dead letters exactly the refused`, { timeout: 600_000 }, async () => {
    const rng = createRng(SEED)
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    for (let i = 0; i < 6; i++) fake.addLogFile('AUDIT_LOG', { generate: { count: 1500 } })
    const expected = fake.expectedEventIds('AUDIT_LOG')
    // Elasticsearch refuses these for good (a mapping conflict): they must be the dead letters, nothing else.
    const refused = [...expected].filter((_, i) => i % 997 === 5)
    const es: FakeElasticsearch = await startFakeElasticsearch({ retainEvents: false })
    es.failItems(refused.map((id) => stableEventId(SOURCE_TYPE, id)), 'document_parsing', { times: 1_000_000 })
    const hec: FakeSplunkHec = await startFakeSplunkHec({ acks: true, retainEvents: false })
    const sumo: FakeSumoHttp = await startFakeSumoHttp({ retainEvents: false })
    const hook: FakeWebhook = await startFakeWebhook({ retainEvents: false })
    receivers = [es, hec, sumo, hook]
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-crash-files-'))
    const filesDir = path.join(dir, 'out')

    const env = {
      ...FAST_RUNTIME_ENV,
      OPENC2C_CHATGPT_BASE_URL: fake.baseUrl,
      OPENC2C_LEASE_SECONDS: '2',
      OPENC2C_DELIVERY_POLL_MS: '50',
      OPENC2C_DELIVERY_LINGER_MS: '0',
      OPENC2C_DELIVERY_ACK_POLL_MS: '50',
      // Small batches: many commits, so kills land between and inside them.
      OPENC2C_DELIVERY_BATCH_EVENTS: '150',
    }
    service = await startService({ env })
    const collectorId = (await api(service, 'POST', '/api/v1/collectors', { collector: { name: 'chatgpt' } })).collector.id
    const destination = async (name: string, type: string, config: Record<string, unknown>) =>
      (await api(service!, 'POST', '/api/v1/destinations', { destination: { name, type, config } })).destination.id as number
    const esId = await destination('es', 'elasticsearch', { url: es.url, index: 'audit', username: es.username, password: es.password })
    await destination('hec', 'splunk_hec', { url: hec.url, token: hec.token, indexerAck: true })
    await destination('sumo', 'sumo_http', { url: sumo.url })
    await destination('hook', 'webhook', { url: hook.url })
    await destination('file', 'file', { directory: filesDir, maxFileBytes: 400_000, maxFileAgeSeconds: 1 })
    await api(service, 'POST', `/api/v1/collectors/${collectorId}/sources`, {
      source: { sourceType: 'Universal', schemaRef: { type: SOURCE_TYPE }, config: { name: 'chatgpt', workspaceID: fake.workspaceId, apiKey: fake.apiKey, enabledEventType: ['AUDIT'] } },
    })

    const accepted = () => es.acceptedEvents().length + hec.acceptedEvents().length + sumo.acceptedEvents().length + hook.acceptedEvents().length
    for (let kill = 1; kill <= KILLS; kill++) {
      const before = accepted()
      // After some deliveries of this process, and then at a random moment within a few batches.
      await waitUntil(() => accepted() > before, `kill ${kill}: deliveries by this process`, 120_000, 5)
      await new Promise((r) => setTimeout(r, rng.int(400)))
      process.stdout.write(`[destinations crash] kill ${kill}/${KILLS} after ${accepted() - before} more events accepted\n`)
      await service.kill()
      service = await startService({ reuse: service, env })
    }

    await waitUntil(
      async () => {
        const { destinations } = await api(service!, 'GET', '/api/v1/destinations')
        return destinations.length === 5 && destinations.every((d: any) => d.delivery.lagEvents === 0)
      },
      'every destination caught up',
      300_000,
      200,
    )
    // The last partial file closes by age, and the last acknowledgements come in.
    await waitUntil(async () => (await fs.readdir(filesDir)).every((n) => !n.startsWith('.')), 'the last file closed', 30_000, 100)

    const delivered = new Set([...expected].filter((id) => !refused.includes(id)))
    assertDeliveredAtLeastOnce(expected, hec)
    assertDeliveredAtLeastOnce(expected, sumo)
    assertDeliveredAtLeastOnce(expected, hook)
    assertDeliveredExactlyOnce(new Set([...delivered].map((id) => stableEventId(SOURCE_TYPE, id))), es)
    for (const r of [es, hec, sumo, hook]) expect(r.violations).toEqual([])

    const files = await fileLines(filesDir)
    expect(files.finals.length).toBeGreaterThan(1)
    expect(files.ids.length, 'each event once across the files').toBe(new Set(files.ids).size)
    expect(new Set(files.ids)).toEqual(expected)

    const letters: { eventId: string; reason: string }[] = []
    for (let after: string | null = '0'; after !== null; ) {
      const page: { deadLetters: { eventId: string; reason: string }[]; next: string | null } = await api(service, 'GET', `/api/v1/destinations/${esId}/deadLetters?limit=1000&after=${after}`)
      letters.push(...page.deadLetters)
      after = page.next
    }
    expect(letters.map((l) => l.eventId).sort()).toEqual([...refused].sort())
    expect(letters.every((l) => l.reason.includes('document_parsing_exception'))).toBe(true)
  })
})
