// Replays the exact HTTP calls of the unmodified Sumo Terraform provider (docs/sumo-collector-api.md §11)
// over a real socket: headers on every request, compact Go JSON with \u003c escapes, GET-for-ETag
// before each PUT, 404 after delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../helpers/app.js'

let t: TestService
let base: string
beforeAll(async () => {
  t = await startTestService()
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `${address}/api/` // base_url = "http://host:port/api/"
})
afterAll(async () => {
  await t?.close()
})

/** Go's encoding/json escapes <, > and & in strings. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
}

const calls: string[] = []

async function provider(method: string, path: string, body?: unknown, ifMatch?: string) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'SumoLogicTerraformProvider/3.2.10',
    Authorization: t.authorization,
  }
  if (ifMatch !== undefined) headers['If-Match'] = ifMatch
  const res = await fetch(new URL(path, base), { method, headers, ...(body !== undefined ? { body: goJson(body) } : {}) })
  const text = await res.text()
  calls.push(`${method} ${path} → ${res.status}`)
  return { status: res.status, etag: res.headers.get('etag'), location: res.headers.get('location'), text, json: () => JSON.parse(text) }
}

/** The provider's PUT helper: a GET on the same URL for the ETag, then the PUT with If-Match. */
async function providerPut(path: string, body: unknown) {
  const get = await provider('GET', path)
  expect(get.status).toBe(200)
  return provider('PUT', path, body, get.etag ?? '')
}

describe('Sumo Terraform provider call sequence', () => {
  it('collector (POST then PUT), C2C source create/read/update/delete, collector delete', async () => {
    // resource "sumologic_collector": ≤ v3.2.4 creates with a minimal POST then runs the update path.
    const created = await provider('POST', 'v1/collectors', { collector: { collectorType: 'Hosted', name: 'my-collector', ephemeral: false } })
    expect(created.status).toBe(201)
    const collectorId = created.json().collector.id
    expect(Number.isInteger(collectorId)).toBe(true)
    const collectorPath = `v1/collectors/${collectorId}`
    const update = await providerPut(collectorPath, {
      collector: { id: collectorId, collectorType: 'Hosted', name: 'my-collector', description: 'Just testing <this> & that', timeZone: 'Etc/UTC', ephemeral: false },
    })
    expect(update.status, update.text).toBe(200)
    const read = await provider('GET', collectorPath)
    expect(read.json().collector).toMatchObject({ name: 'my-collector', description: 'Just testing <this> & that', timeZone: 'Etc/UTC', collectorType: 'Hosted' })

    // resource "sumologic_cloud_to_cloud_source" with the documented config.
    const sourcesPath = `v1/collectors/${collectorId}/sources`
    const config = { apiKey: 'sk-proj-XXXXXXXXX', enabledEventType: ['CONVERSATION'], name: 'ChatGPT Compliance', pollingIntervalHour: '1h', workspaceID: 'ABCD-SAMPLE-WORKSPACE-ID' }
    const source = await provider('POST', sourcesPath, { source: { sourceType: 'Universal', config, schemaRef: { type: 'ChatGPT Compliance' } } })
    expect(source.status, source.text).toBe(201)
    const sourceId = source.json().source.id
    expect(Number.isInteger(sourceId)).toBe(true)
    const sourcePath = `${sourcesPath}/${sourceId}`
    const sourceRead = await provider('GET', sourcePath)
    expect(sourceRead.status).toBe(200)
    // What the provider decodes: numeric id, string sourceType, schemaRef object with a string type.
    const decoded = sourceRead.json().source
    expect(typeof decoded.id).toBe('number')
    expect(typeof decoded.sourceType).toBe('string')
    expect(typeof decoded.schemaRef.type).toBe('string')

    // Update: the config sent carries the real secret, never the mask.
    const sourceUpdate = await providerPut(sourcePath, {
      source: { id: sourceId, sourceType: 'Universal', config: { ...config, pollingIntervalHour: '2h' }, schemaRef: { type: 'ChatGPT Compliance' } },
    })
    expect(sourceUpdate.status, sourceUpdate.text).toBe(200)
    expect((await provider('GET', sourcePath)).json().source.config.pollingIntervalHour).toBe('2h')

    // Plan refresh: both GETs again; both still 200.
    expect((await provider('GET', collectorPath)).status).toBe(200)
    expect((await provider('GET', sourcePath)).status).toBe(200)

    // destroy: source first, then the collector; CheckDestroy GETs must be 404 immediately.
    const deleteSource = await provider('DELETE', sourcePath)
    expect(deleteSource.status).toBe(200)
    expect(deleteSource.text).toBe('')
    const gone = await provider('GET', sourcePath)
    expect(gone.status).toBe(404)
    expect(gone.json().code).toBe('collectors.source.invalid')
    expect((await provider('DELETE', collectorPath)).status).toBe(200)
    const collectorGone = await provider('GET', collectorPath)
    expect(collectorGone.status).toBe(404)
    expect(collectorGone.json().code).toBe('collectors.collector.invalid')
  })

  it('also works with base_url without the trailing slash (/v1/... paths)', async () => {
    const res = await fetch(`${base.replace(/\/api\/$/, '')}/v1/collectors`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: t.authorization },
      body: goJson({ collector: { collectorType: 'Hosted', name: 'no-slash', timeZone: 'Etc/UTC', ephemeral: false } }),
    })
    expect(res.status).toBe(201)
  })

  it('import by collector name: GET /v1/collectors/name/{name} with spaces percent-encoded', async () => {
    const created = await provider('POST', 'v1/collectors', { collector: { collectorType: 'Hosted', name: 'imported collector', ephemeral: false } })
    const byName = await provider('GET', 'v1/collectors/name/imported%20collector')
    expect(byName.status).toBe(200)
    expect(byName.json().collector.id).toBe(created.json().collector.id)
  })
})
