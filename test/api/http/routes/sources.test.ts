// Wire tests for Cloud-to-Cloud sources (docs/sumo-collector-api.md §5) and the ChatGPT Compliance config
// contract with its secret masking (§9, §10).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestService, type TestService } from '../../../helpers/app.js'
import { chatGptSourceBody, collectorBody, EXAMPLE_API_KEY } from '../../../helpers/fixtures.js'
import exampleJson from '../../../../examples/json/chatgpt-compliance.json' with { type: 'json' }

let t: TestService
let collectorId: number
beforeAll(async () => {
  t = await startTestService()
  const res = await t.request('POST', '/api/v1/collectors', collectorBody('sources-test'))
  collectorId = res.json().collector.id
})
afterAll(async () => {
  await t?.close()
})

let counter = 0
const uniqueName = () => `source-${++counter}`
const API_KEY_MESSAGE = 'must be 1 to 1024 printable ASCII characters, without spaces or control characters'

async function createSource(configOverrides: Record<string, unknown> = {}) {
  const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({}, { name: uniqueName(), ...configOverrides }))
  expect(res.statusCode, res.body).toBe(201)
  return { source: res.json().source, etag: res.headers.etag as string, location: res.headers.location as string }
}

describe('POST sources', () => {
  it('accepts the published example.json unchanged: 201, Location, ETag, state Pending, secret masked', async () => {
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, exampleJson)
    expect(res.statusCode, res.body).toBe(201)
    const { source } = res.json()
    expect(source).toMatchObject({
      sourceType: 'Universal',
      schemaRef: { type: 'ChatGPT Compliance' },
      state: { state: 'Pending' },
      alive: true,
      name: 'ChatGPT Compliance',
    })
    expect(source.config).toEqual({ ...exampleJson.source.config, apiKey: '********' })
    expect(Number.isInteger(source.id)).toBe(true)
    expect(res.headers.location).toBe(`/v1/collectors/${collectorId}/sources/${source.id}`)
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(res.body).not.toContain(EXAMPLE_API_KEY)
  })

  it('accepts the documented spellings workspaceId and integer pollingInterval, and no enabledEventType', async () => {
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, {
      source: {
        sourceType: 'Universal',
        schemaRef: { type: 'ChatGPT Compliance' },
        config: { name: uniqueName(), workspaceId: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff', apiKey: 'sk-x', pollingInterval: 6, fields: { _siemForward: true, team: 'sec' }, description: 'd', category: 'chatgpt/compliance' },
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().source.config).toEqual({
      name: expect.any(String),
      workspaceId: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff',
      apiKey: '********',
      pollingInterval: 6,
      fields: { _siemForward: true, team: 'sec' },
      description: 'd',
      category: 'chatgpt/compliance',
    })
  })

  it('rejects a duplicate source name in the same collector with collectors.validation.name.duplicate', async () => {
    const { source } = await createSource()
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({}, { name: source.config.name }))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'collectors.validation.name.duplicate', errors: [{ path: '$.source.config.name' }] })
  })

  it('rejects an unknown schemaRef.type or sourceType with the accepted values', async () => {
    const badType = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({ schemaRef: { type: 'Okta' } }))
    expect(badType.statusCode).toBe(400)
    expect(badType.json().errors).toEqual([{ path: '$.source.schemaRef.type', message: 'must be one of: "ChatGPT Compliance" (got "Okta")' }])
    const badSourceType = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({ sourceType: 'HTTP' }))
    expect(badSourceType.statusCode).toBe(400)
    expect(badSourceType.json().errors[0].path).toBe('$.source.sourceType')
    expect(badSourceType.json().errors[0].message).toContain('"Universal"')
  })

  it.each([
    [{ name: undefined }, '$.source.config.name', 'is required'],
    [{ name: '' }, '$.source.config.name', 'must be 1 to 128 characters and not blank'],
    [{ apiKey: undefined }, '$.source.config.apiKey', 'is required'],
    [{ apiKey: '' }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: 'sk-with\nnewline' }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: 'sk-with space' }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: 'sk-\u0007bell\ttab' }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: 'sk-\u00e9\u2028' }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: 'x'.repeat(1025) }, '$.source.config.apiKey', API_KEY_MESSAGE],
    [{ apiKey: '********' }, '$.source.config.apiKey', 'is the mask "********"; send the real value (no value is stored yet)'],
    [{ apiKey: 12 }, '$.source.config.apiKey', 'must be a string'],
    [{ workspaceID: undefined }, '$.source.config.workspaceID', 'is required (the documented spelling workspaceId is accepted too)'],
    [{ workspaceID: 'has space' }, '$.source.config.workspaceID', 'must be 1 to 128 letters, digits, "-" or "_" (a workspace UUID, or an org- id)'],
    [{ workspaceId: 'other' }, '$.source.config.workspaceId', 'disagrees with workspaceID; send one of the two spellings'],
    [{ pollingIntervalHour: '0h' }, '$.source.config.pollingIntervalHour', 'must be "1h" to "24h"'],
    [{ pollingIntervalHour: '25h' }, '$.source.config.pollingIntervalHour', 'must be "1h" to "24h"'],
    [{ pollingIntervalHour: '90m' }, '$.source.config.pollingIntervalHour', 'must be "1h" to "24h"'],
    [{ pollingIntervalHour: 1 }, '$.source.config.pollingIntervalHour', 'must be a string'],
    [{ pollingInterval: 0 }, '$.source.config.pollingInterval', 'must be >= 1'],
    [{ pollingInterval: 25 }, '$.source.config.pollingInterval', 'must be <= 24'],
    [{ pollingInterval: 2 }, '$.source.config.pollingInterval', 'disagrees with pollingIntervalHour ("1h"); send one of the two'],
    [{ enabledEventType: [] }, '$.source.config.enabledEventType', 'must NOT have fewer than 1 items'],
    [{ enabledEventType: ['CONVERSATION', 'CONVERSATION'] }, '$.source.config.enabledEventType', 'must NOT have duplicate items (items ## 1 and 0 are identical)'],
    [{ enabledEventType: ['CHAT'] }, '$.source.config.enabledEventType[0]', 'must be one of: "CONVERSATION", "CODEX", "CODEX_SECURITY", "AUDIT", "APP", "AUTH", "APP_AUTH"'],
    [{ enabledEventType: 'CONVERSATION' }, '$.source.config.enabledEventType', 'must be an array'],
    [{ fields: { _siemForward: 'yes' } }, '$.source.config.fields._siemForward', 'must be a boolean'],
    [{ fields: { team: 5 } }, '$.source.config.fields.team', 'must be a string'],
    [{ workspaceid: 'typo' }, '$.source.config.workspaceid', 'is not a known field; accepted fields: name, description, category, fields, workspaceID, workspaceId, apiKey, pollingIntervalHour, pollingInterval, enabledEventType'],
  ])('rejects config %j at %s', async (overrides, path, message) => {
    const body = chatGptSourceBody({}, { name: uniqueName(), ...overrides })
    for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete (body.source.config as Record<string, unknown>)[k]
    const before = (await t.request('GET', `/api/v1/collectors/${collectorId}/sources`)).json()
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'collectors.validation.config.invalid' })
    expect(res.json().errors).toContainEqual({ path, message })
    expect((await t.request('GET', `/api/v1/collectors/${collectorId}/sources`)).json()).toEqual(before)
  })

  it('never echoes a rejected apiKey or workspace id, whatever it holds', async () => {
    const marker = 'SECRETMARKER'
    for (const config of [
      { apiKey: `sk-${marker}\n\u001b[31mred` },
      { apiKey: `sk-${marker} x` },
      { apiKey: `sk-${marker}`.repeat(200) },
      { workspaceID: `ws-${marker}\r\n\u0007<script>` },
      { workspaceId: `ws-${marker}\n`, workspaceID: undefined },
    ]) {
      const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody({}, { name: uniqueName(), ...config }))
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().code).toBe('collectors.validation.config.invalid')
      expect(res.body).not.toContain(marker)
      // Every character of the answer is printable ASCII (JSON escapes aside): nothing to break a log line.
      expect(res.json().message).toMatch(/^[\x20-\x7e]+$/)
    }
  })

  it('treats "api.version": null as absent', async () => {
    const body = { ...chatGptSourceBody({}, { name: uniqueName() }), 'api.version': null }
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, body)
    expect(res.statusCode, res.body).toBe(201)
    const wrong = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, { ...body, 'api.version': 'v2' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().errors).toEqual([{ path: '$["api.version"]', message: 'must be one of: "v1", null' }])
  })

  it.each([
    [{ name: 'lone\ud800high' }, {}, '$.source.config.name'],
    [{ description: '\udc00 low first' }, {}, '$.source.config.description'],
    [{ fields: { team: 'a\ude00\ud83d' } }, {}, '$.source.config.fields.team'],
    [{ fields: { ['k\ud800']: 'v' } }, {}, '$.source.config.fields["k\\ud800"]'],
    [{ enabledEventType: ['CONVERSATION', '\ud83d'] }, {}, '$.source.config.enabledEventType[1]'],
    [{}, { sourceType: 'Universal\udfff' }, '$.source.sourceType'],
    [{}, { schemaRef: { type: 'ChatGPT Compliance', version: '\ud800' } }, '$.source.schemaRef.version'],
  ])('rejects a lone UTF-16 surrogate in config %j / source %j at %s, storing nothing', async (configOverrides, overrides, path) => {
    const before = await t.service.database.db.selectFrom('sources').select('id').execute()
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody(overrides, { name: uniqueName(), ...configOverrides }))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'json.invalid' })
    expect(res.json().errors).toEqual([{ path, message: expect.stringContaining('lone UTF-16 surrogate') }])
    expect(await t.service.database.db.selectFrom('sources').select('id').execute()).toEqual(before)
  })

  it('stores a surrogate pair (an emoji) unchanged', async () => {
    const { source } = await createSource({ name: `emoji \ud83d\ude00 ${uniqueName()}`, description: '\u{1F600}' })
    const read = (await t.request('GET', `/api/v1/collectors/${collectorId}/sources/${source.id}`)).json().source
    expect(read.name).toBe(source.config.name)
    expect(read.name).toContain('\u{1F600}')
    expect(read.config.description).toBe('\u{1F600}')
  })

  it('answers 404 collectors.collector.invalid when the collector is deleted between its lookup and the insert', async () => {
    const doomed = (await t.request('POST', '/api/v1/collectors', collectorBody('deleted-meanwhile'))).json().collector
    const { collectors } = t.app.ctx
    const get = collectors.get.bind(collectors)
    // The route found the collector; another request deletes it before the source is inserted.
    const spy = vi.spyOn(collectors, 'get').mockImplementationOnce(async (id) => {
      const record = await get(id)
      await t.service.database.db.deleteFrom('collectors').where('id', '=', id).execute()
      return record
    })
    try {
      const res = await t.request('POST', `/api/v1/collectors/${doomed.id}/sources`, chatGptSourceBody({}, { name: uniqueName() }))
      expect(spy).toHaveBeenCalled()
      expect(res.statusCode, res.body).toBe(404)
      expect(res.json()).toMatchObject({ status: 404, code: 'collectors.collector.invalid' })
      expect(await t.service.database.db.selectFrom('sources').select('id').where('collector_id', '=', doomed.id).execute()).toEqual([])
    } finally {
      spy.mockRestore()
    }
  })

  it('reports every invalid field of a config at once', async () => {
    const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, {
      source: { sourceType: 'Universal', schemaRef: { type: 'ChatGPT Compliance' }, config: { pollingIntervalHour: 'x', enabledEventType: ['NOPE'] } },
    })
    expect(res.statusCode).toBe(400)
    const paths = res.json().errors.map((e: { path: string }) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['$.source.config.name', '$.source.config.apiKey', '$.source.config.pollingIntervalHour', '$.source.config.enabledEventType[0]']))
  })

  it('answers a source on an unknown collector with 404 collectors.collector.invalid', async () => {
    const res = await t.request('POST', '/api/v1/collectors/123/sources', chatGptSourceBody())
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('collectors.collector.invalid')
  })
})

describe('GET sources', () => {
  it('gets one with a stable ETag and lists all, secrets masked everywhere', async () => {
    const { source, etag } = await createSource()
    const one = await t.request('GET', `/api/v1/collectors/${collectorId}/sources/${source.id}`)
    expect(one.statusCode).toBe(200)
    expect(one.headers.etag).toBe(etag)
    expect(one.json().source).toEqual(source)
    const list = await t.request('GET', `/api/v1/collectors/${collectorId}/sources`)
    expect(list.statusCode).toBe(200)
    expect(list.json().sources).toContainEqual(source)
    expect(list.body).not.toContain(EXAMPLE_API_KEY)
    expect(one.body).not.toContain(EXAMPLE_API_KEY)
  })

  it('answers repeated reads (served from memory) with the same JSON and ETag, and a changed source with its new ones', async () => {
    const { source, etag } = await createSource({ description: 'before' })
    const url = `/api/v1/collectors/${collectorId}/sources/${source.id}`
    const reads = [await t.request('GET', url), await t.request('GET', url), await t.request('GET', url)]
    for (const read of reads) {
      expect(read.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(read.headers.etag).toBe(etag)
      expect(read.json()).toEqual({ source })
    }
    const changed = await t.request('PUT', url, { source: { ...source, config: { ...source.config, description: 'after' } } }, { 'if-match': etag })
    expect(changed.statusCode).toBe(200)
    for (let i = 0; i < 2; i++) {
      const read = await t.request('GET', url)
      expect(read.headers.etag).toBe(changed.headers.etag)
      expect(read.headers.etag).not.toBe(etag)
      expect(read.json().source.config.description).toBe('after')
    }
  })

  it('?download=true gives re-importable JSON without id, alive or state, for one and for the list', async () => {
    const { source } = await createSource({ name: 'download-me' })
    // Read plainly first, so that the download is asked of a source the read cache already holds.
    expect((await t.request('GET', `/api/v1/collectors/${collectorId}/sources/${source.id}`)).json().source.id).toBe(source.id)
    const one = await t.request('GET', `/api/v1/collectors/${collectorId}/sources/${source.id}?download=true`)
    expect(one.statusCode).toBe(200)
    expect(one.json()).toEqual({ 'api.version': 'v1', source: { sourceType: 'Universal', schemaRef: { type: 'ChatGPT Compliance' }, config: source.config } })
    const list = await t.request('GET', `/api/v1/collectors/${collectorId}/sources?download=true`)
    expect(list.json()['api.version']).toBe('v1')
    for (const s of list.json().sources) {
      expect(s).not.toHaveProperty('id')
      expect(s).not.toHaveProperty('alive')
      expect(s.config.apiKey).toBe('********')
    }
    // The downloaded body can be posted back as a new source once the secret is re-entered.
    const body = one.json()
    body.source.config = { ...body.source.config, name: 'download-me-copy', apiKey: 'sk-reentered' }
    expect((await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, body)).statusCode).toBe(201)
  })

  it('answers unknown or malformed source ids with 404 collectors.source.invalid', async () => {
    for (const id of ['999999999', 'abc', '0']) {
      const res = await t.request('GET', `/api/v1/collectors/${collectorId}/sources/${id}`)
      expect(res.statusCode).toBe(404)
      expect(res.json().code).toBe('collectors.source.invalid')
    }
    const wrongCollector = await t.request('GET', `/api/v1/collectors/999999999/sources/1`)
    expect(wrongCollector.json().code).toBe('collectors.collector.invalid')
  })
})

describe('PUT sources', () => {
  it('keeps the stored secret when the mask is sent, replaces config fully, and changes the ETag', async () => {
    const { source, etag } = await createSource({ description: 'first' })
    const config = { ...source.config, pollingIntervalHour: '4h', enabledEventType: ['AUDIT', 'AUTH'] }
    delete config.description
    const res = await t.request('PUT', `/api/v1/collectors/${collectorId}/sources/${source.id}`, { source: { ...source, config } }, { 'if-match': etag })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().source.config).toEqual(config)
    expect(res.headers.etag).not.toBe(etag)
    const secrets = await storedSecrets(source.id)
    expect(secrets).toEqual({ apiKey: EXAMPLE_API_KEY })
  })

  it('replaces the secret when a new one is sent', async () => {
    const { source, etag } = await createSource()
    const res = await t.request('PUT', `/api/v1/collectors/${collectorId}/sources/${source.id}`, chatGptSourceBody({ id: source.id }, { name: source.config.name, apiKey: 'sk-new-key' }), { 'if-match': etag })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().source.config.apiKey).toBe('********')
    expect(await storedSecrets(source.id)).toEqual({ apiKey: 'sk-new-key' })
  })

  it('403 without If-Match, 412 when stale, 400 on type change or bad config; nothing stored changes', async () => {
    const { source, etag } = await createSource()
    const url = `/api/v1/collectors/${collectorId}/sources/${source.id}`
    const body = chatGptSourceBody({ id: source.id }, { name: source.config.name, pollingIntervalHour: '2h' })
    expect((await t.request('PUT', url, body)).statusCode).toBe(403)
    expect((await t.request('PUT', url, body, { 'if-match': '"deadbeefdeadbeefdeadbeefdeadbeef"' })).statusCode).toBe(412)
    const typeChange = await t.request('PUT', url, chatGptSourceBody({ id: source.id, schemaRef: { type: 'Okta' } }), { 'if-match': etag })
    expect(typeChange.statusCode).toBe(400)
    const bad = await t.request('PUT', url, chatGptSourceBody({ id: source.id }, { pollingIntervalHour: '99h' }), { 'if-match': etag })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors).toContainEqual({ path: '$.source.config.pollingIntervalHour', message: 'must be "1h" to "24h"' })
    const idMismatch = await t.request('PUT', url, chatGptSourceBody({ id: source.id + 1 }), { 'if-match': etag })
    expect(idMismatch.statusCode).toBe(400)
    const read = await t.request('GET', url)
    expect(read.json().source).toEqual(source)
    expect(read.headers.etag).toBe(etag)
    expect(await storedSecrets(source.id)).toEqual({ apiKey: EXAMPLE_API_KEY })
  })
})

describe('DELETE sources', () => {
  it('deletes synchronously: 200 empty body, then GET and DELETE give 404 collectors.source.invalid', async () => {
    const { source } = await createSource()
    const url = `/api/v1/collectors/${collectorId}/sources/${source.id}`
    const res = await t.request('DELETE', url)
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('')
    expect((await t.request('GET', url)).json().code).toBe('collectors.source.invalid')
    expect((await t.request('DELETE', url)).statusCode).toBe(404)
  })

  it("deleting a collector deletes its sources", async () => {
    const c = (await t.request('POST', '/api/v1/collectors', collectorBody('cascade'))).json().collector
    const s = (await t.request('POST', `/api/v1/collectors/${c.id}/sources`, chatGptSourceBody())).json().source
    expect((await t.request('DELETE', `/api/v1/collectors/${c.id}`)).statusCode).toBe(200)
    expect(await t.service.database.db.selectFrom('sources').select('id').where('id', '=', s.id).executeTakeFirst()).toBeUndefined()
  })
})

async function storedSecrets(sourceId: number): Promise<Record<string, string>> {
  const row = await t.service.database.db.selectFrom('sources').select('secrets').where('id', '=', sourceId).executeTakeFirstOrThrow()
  return t.app.ctx.secretBox.openJson(row.secrets!)
}
