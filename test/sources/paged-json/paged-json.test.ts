// The source seam, proven by a second source type that is not file-based (index.ts): it collects from
// a paged JSON API with an opaque cursor, quarantines what it cannot store, survives SIGKILL mid-run,
// and its events show in the events API, all without a line of it under api/. The house rules the
// seam rests on are checked too: the store, the scheduler, the service wiring and the shared metrics
// name no source type and nothing of files.
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../../api/config.js'
import { builtInSourceTypes } from '../../../api/sources/registry.js'
import { type FakePagedApi, startFakePagedApi } from '../../fakes/paged-api/fake-paged-api.js'
import { startTestService, type TestService } from '../../helpers/app.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { compareSets, noDifference } from '../../api/runtime/exact-set.js'
import { api, getRuns, sourcePath, waitUntil } from '../../api/runtime/service-api.js'
import { openServiceDatabase, readStoredEvents } from '../../api/runtime/stored-events.js'
import { PAGED_JSON_TYPE, pagedJsonSourceType } from './index.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '../../..')
const sourceTypes = [...builtInSourceTypes, pagedJsonSourceType]

let fake: FakePagedApi | undefined
let t: TestService | undefined
let service: RunningService | undefined
afterEach(async () => {
  await t?.close()
  await service?.destroy()
  await fake?.close()
  t = service = fake = undefined
})

function sourceBody(api: FakePagedApi, name = 'paged') {
  return { source: { sourceType: 'Universal', schemaRef: { type: PAGED_JSON_TYPE }, config: { name, category: 'test/paged', baseUrl: api.baseUrl, token: api.token } } }
}

async function inProcess(env: Record<string, string> = {}): Promise<{ t: TestService; collectorId: number }> {
  t = await startTestService({ ...FAST_RUNTIME_ENV, OPENC2C_TEST_PAGED_PAGE_LIMIT: '25', ...env }, { sourceTypes })
  const collectorId = (await t.request('POST', '/api/v1/collectors', { collector: { name: 'paged' } })).json().collector.id
  return { t, collectorId }
}

async function waitForRuns(t: TestService, path: string, count: number): Promise<any[]> {
  let runs: any[] = []
  await waitUntil(async () => {
    runs = (await t.request('GET', `${path}/runs`)).json().runs
    return runs.filter((r) => r.status !== 'running').length >= count
  }, `${count} finished runs`, 30_000)
  return runs
}

describe('a second, non-file source type', () => {
  it('collects, quarantines what it cannot store, and shows its events; a later run reads only what is new', async () => {
    fake = await startFakePagedApi()
    const first = fake.publishGenerated(40, 'LOGIN')
    fake.publish([42, { kind: 'LOGIN', at: '2026-01-01T00:00:00Z' }])
    const second = fake.publishGenerated(38, 'LOGOUT')
    fake.publish([{ id: '', kind: 'LOGOUT' }])
    const { collectorId } = await inProcess()
    const created = await t!.request('POST', `/api/v1/collectors/${collectorId}/sources`, sourceBody(fake))
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json().source.config.token).toBe('********')
    const sourceId = created.json().source.id
    const base = `/api/v1/collectors/${collectorId}/sources/${sourceId}`

    const [run] = await waitForRuns(t!, base, 1)
    // 81 items in pages of 25: four pages, each one origin.
    expect(run).toMatchObject({ status: 'succeeded', origins: 4, eventsStored: 78, duplicatesSkipped: 0, quarantined: 3 })
    const { events } = (await t!.request('GET', `${base}/events?limit=1000`)).json()
    expect(events.map((e: any) => e.id)).toEqual([...first, ...second])
    expect(events[0]).toMatchObject({ type: 'LOGIN', timestamp: expect.stringMatching(/^2026-01-01T00:00:01\.000000Z$/), metadata: { _source: 'paged', _sourceCategory: 'test/paged', _collector: 'paged' } })
    expect(events[0].event).toMatchObject({ id: first[0], kind: 'LOGIN' })
    expect(events.at(-1).type).toBe('LOGOUT')

    const { records } = (await t!.request('GET', `${base}/quarantine`)).json()
    expect(records.map((r: any) => [r.stream, r.position, r.reason, r.raw])).toEqual([
      ['items', 'item 16', 'not a JSON object', '42'],
      ['items', 'item 17', 'no id', '{"kind":"LOGIN","at":"2026-01-01T00:00:00Z"}'],
      ['items', 'item 6', 'no id', '{"id":"","kind":"LOGOUT"}'],
    ])
    // Origins are the pages' cursors: the first page had none.
    expect(records[0].origin).not.toBe('start')
    expect((await t!.request('GET', base)).json().source.collection.quarantinedRecords).toBe(3)

    const third = fake.publishGenerated(30, 'LOGIN')
    const requestsBefore = fake.requests.length
    expect((await t!.request('POST', `${base}/action/restart`)).statusCode).toBe(200)
    const runs = await waitForRuns(t!, base, 2)
    expect(runs[0]).toMatchObject({ status: 'succeeded', eventsStored: 30, duplicatesSkipped: 0 })
    // It went on from the stored cursor: the first request of the run was not a first page.
    expect(fake.requests[requestsBefore]!.cursor).not.toBeNull()
    const all = (await t!.request('GET', `${base}/events?limit=1000`)).json().events
    expect(all.map((e: any) => e.id)).toEqual([...first, ...second, ...third])

    const metrics = (await t!.request('GET', '/metrics')).body
    expect(metrics).toMatch(new RegExp(`openc2c_test_paged_pages_total\\{source_id="${sourceId}"\\} \\d+`))
    expect(metrics).toMatch(new RegExp(`openc2c_events_stored_total\\{source_id="${sourceId}",stream="items"\\} 108`))
    expect(metrics).toMatch(/openc2c_upstream_responses_total\{source_type="Paged JSON",route="items",status="200"\} \d+/)
  })

  it('retries a 500 and stops on a 401 with a ThirdPartyConfig error', async () => {
    fake = await startFakePagedApi()
    fake.publishGenerated(10)
    fake.failNext(1)
    const { collectorId } = await inProcess()
    const sourceId = (await t!.request('POST', `/api/v1/collectors/${collectorId}/sources`, sourceBody(fake))).json().source.id
    const base = `/api/v1/collectors/${collectorId}/sources/${sourceId}`
    const [run] = await waitForRuns(t!, base, 1)
    expect(run).toMatchObject({ status: 'succeeded', eventsStored: 10 })
    expect(run.errors).toEqual([expect.objectContaining({ type: 'retried', message: expect.stringContaining('500') })])

    fake.revokeToken()
    await t!.request('POST', `${base}/action/restart`)
    await waitUntil(async () => (await t!.request('GET', base)).json().source.state.state === 'Error', 'the Error state', 30_000)
    expect((await t!.request('GET', base)).json().source.state).toMatchObject({ state: 'Error', errorType: 'ThirdPartyConfig', errorCode: 'http.401' })
  })

  it('validates its config by its own schema, and reads its own operator setting', async () => {
    fake = await startFakePagedApi()
    const { collectorId } = await inProcess()
    const bad = sourceBody(fake)
    ;(bad.source.config as Record<string, unknown>).baseUrl = 'ftp://nope'
    const res = await t!.request('POST', `/api/v1/collectors/${collectorId}/sources`, bad)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.map((e: any) => e.path)).toContain('$.source.config.baseUrl')

    expect(() => loadConfig({ OPENC2C_TEST_PAGED_PAGE_LIMIT: '0' }, { sourceTypes })).toThrow(ConfigError)
    try {
      loadConfig({ OPENC2C_TEST_PAGED_PAGE_LIMIT: '0' }, { sourceTypes })
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['OPENC2C_TEST_PAGED_PAGE_LIMIT must be an integer from 1 to 100, got "0"'])
    }
    // A service without the type does not read its variable.
    expect(() => loadConfig({ OPENC2C_TEST_PAGED_PAGE_LIMIT: '0' })).not.toThrow()
  })

  it('survives SIGKILL mid-run, again and again: every item stored exactly once', { timeout: 180_000 }, async () => {
    fake = await startFakePagedApi()
    fake.publishGenerated(600)
    fake.publish(['"a string"'])
    // 10 items a page, 20 ms a page: a run takes about 1.5 s of pages, so each kill lands mid-run.
    fake.delayMs = 20
    const env = { ...FAST_RUNTIME_ENV, OPENC2C_TEST_PAGED_PAGE_LIMIT: '10' }
    const entry = path.join(HERE, 'service-main.ts')
    service = await startService({ entry, env })
    const collectorId = (await api(service, 'POST', '/api/v1/collectors', { collector: { name: 'paged' } })).collector.id
    const sourceId = (await api(service, 'POST', `/api/v1/collectors/${collectorId}/sources`, sourceBody(fake))).source.id
    const stored = async () => (await api(service!, 'GET', `${sourcePath(collectorId, sourceId)}/events?limit=1000`)).events.length
    let before = 0
    for (let kill = 1; kill <= 3; kill++) {
      await waitUntil(async () => (await stored()) >= before + 60, `kill ${kill}: 60 more items stored`, 60_000, 20)
      before = await stored()
      expect(before).toBeLessThan(600)
      await service.kill()
      service = await startService({ reuse: service, env })
    }
    await waitUntil(async () => (await getRuns(service!, collectorId, sourceId)).some((r) => r.status === 'succeeded'), 'a run to finish', 120_000)
    const runs = await getRuns(service, collectorId, sourceId)
    expect(runs.filter((r) => r.status === 'interrupted')).toHaveLength(3)

    const database = await openServiceDatabase(service)
    try {
      const events = await readStoredEvents(database, sourceId)
      expect(events.duplicated.size).toBe(0)
      expect(compareSets(events.ids, fake.expectedIds())).toEqual(noDifference(600))
    } finally {
      await database.close()
    }
    const { records } = await api(service, 'GET', `${sourcePath(collectorId, sourceId)}/quarantine`)
    expect(records.map((r: any) => r.reason)).toEqual(['not a JSON object'])
  })
})

describe('the house rules the seam rests on', () => {
  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await fs.readdir(path.join(ROOT, dir), { recursive: true })
    return entries.filter((e) => e.endsWith('.ts')).map((e) => path.join(dir, e))
  }

  it('the store knows nothing of files or of the Logs Platform', async () => {
    const offending: string[] = []
    for (const file of await filesUnder('api/store')) {
      const text = await fs.readFile(path.join(ROOT, file), 'utf8')
      for (const word of ['file_id', 'doneFiles', 'inProgress', 'Logs Platform', 'chatgpt', 'ChatGPT']) {
        if (text.includes(word)) offending.push(`${file}: ${word}`)
      }
    }
    expect(offending).toEqual([])
  })

  it('the store, the scheduler, the service wiring and the shared metrics import no source type', async () => {
    const files = [...(await filesUnder('api/store')), ...(await filesUnder('api/scheduler')), 'api/service.ts', 'api/metrics.ts']
    const offending: string[] = []
    for (const file of files) {
      const text = await fs.readFile(path.join(ROOT, file), 'utf8')
      if (/from '[^']*sources\/chatgpt-compliance/.test(text) || /chatgpt/i.test(text)) offending.push(file)
    }
    expect(offending).toEqual([])
  })
})
