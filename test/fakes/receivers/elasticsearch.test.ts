import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeElasticsearch, type FakeElasticsearch } from './elasticsearch.js'
import { bulkBody, events, send, type ClientResult } from './test-support.js'

let es: FakeElasticsearch
afterEach(() => es.close())

function bulk(body: string | Buffer, headers: Record<string, string> = {}, path = '/_bulk'): Promise<ClientResult> {
  return send(`${es.url}${path}`, { headers: { authorization: es.apiKeyAuthorization, 'content-type': 'application/x-ndjson', ...headers }, body })
}

describe('bulk create', () => {
  it('stores each document per index by _id and answers one created item per action', async () => {
    es = await startFakeElasticsearch()
    const res = await bulk(bulkBody('compliance-a', events('a', 2)) + bulkBody('compliance-b', events('b', 1)))
    expect(res.status).toBe(200)
    expect(res.headers['x-elastic-product']).toBe('Elasticsearch')
    expect(res.json.errors).toBe(false)
    expect(res.json.items).toEqual([
      { create: expect.objectContaining({ _index: 'compliance-a', _id: 'a-0', status: 201, result: 'created', _version: 1 }) },
      { create: expect.objectContaining({ _index: 'compliance-a', _id: 'a-1', status: 201, result: 'created' }) },
      { create: expect.objectContaining({ _index: 'compliance-b', _id: 'b-0', status: 201, result: 'created' }) },
    ])
    expect(typeof res.json.took).toBe('number')
    expect(es.indices()).toEqual(['compliance-a', 'compliance-b'])
    expect([...es.documents('compliance-a').keys()]).toEqual(['a-0', 'a-1'])
    expect(es.documents('compliance-a').get('a-1')).toEqual({ id: 'a-1', type: 'AUDIT_LOG', n: 1 })
    expect(es.acceptedEvents().map((e) => e.id)).toEqual(['a-0', 'a-1', 'b-0'])
    expect(es.violations).toEqual([])
  })

  it('takes the index from the path when the action names none, and gzip bodies', async () => {
    es = await startFakeElasticsearch()
    const res = await bulk(gzipSync(bulkBody(undefined, events('p', 2))), { 'content-encoding': 'gzip' }, '/from-path/_bulk')
    expect(res.json.items.map((i: any) => i.create._index)).toEqual(['from-path', 'from-path'])
    expect(es.documentCount('from-path')).toBe(2)
  })

  it('answers 409 version_conflict_engine_exception for an _id the index holds, and keeps one copy', async () => {
    es = await startFakeElasticsearch()
    await bulk(bulkBody('idx', events('d', 2)))
    const again = await bulk(bulkBody('idx', [{ id: 'd-1', changed: true }, ...events('new', 1)]))
    expect(again.json.errors).toBe(true)
    expect(again.json.items[0]).toEqual({
      create: {
        _index: 'idx',
        _id: 'd-1',
        status: 409,
        error: expect.objectContaining({ type: 'version_conflict_engine_exception', reason: '[d-1]: version conflict, document already exists (current version [1])' }),
      },
    })
    expect(again.json.items[1].create.status).toBe(201)
    expect(es.documents('idx').get('d-1')).toEqual({ id: 'd-1', type: 'AUDIT_LOG', n: 1 })
    expect(es.acceptedEvents().map((e) => e.id)).toEqual(['d-0', 'd-1', 'new-0'])
    expect(es.bulkRequests[1]?.items.map((i) => [i.id, i.status, i.errorType])).toEqual([
      ['d-1', 409, 'version_conflict_engine_exception'],
      ['new-0', 201, undefined],
    ])
  })

  it('the same _id in two indices is two documents', async () => {
    es = await startFakeElasticsearch()
    await bulk(bulkBody('one', events('same', 1)) + bulkBody('two', events('same', 1)))
    expect(es.documentCount()).toBe(2)
    expect(es.acceptedEvents().map((e) => e.id)).toEqual(['same-0', 'same-0'])
  })

  it('a source line that is not an object fails that item alone with document_parsing_exception', async () => {
    es = await startFakeElasticsearch()
    const body = `{"create":{"_index":"idx","_id":"bad"}}\n[1,2]\n` + bulkBody('idx', events('good', 1))
    const res = await bulk(body)
    expect(res.json.items.map((i: any) => [i.create._id, i.create.status, i.create.error?.type])).toEqual([
      ['bad', 400, 'document_parsing_exception'],
      ['good-0', 201, undefined],
    ])
  })

  it('an invalid index name fails its item', async () => {
    es = await startFakeElasticsearch()
    const res = await bulk(bulkBody('Upper', events('u', 1)))
    expect(res.json.items[0].create).toMatchObject({ status: 400, error: { type: 'invalid_index_name_exception' } })
  })
})

describe('request-level answers', () => {
  it.each([
    ['missing', undefined, 406, { error: 'Content-Type header is missing', status: 406 }],
    ['text/plain', 'text/plain', 406, { error: 'Content-Type header [text/plain] is not supported', status: 406 }],
  ])('Content-Type %s → 406', async (_label, contentType, status, json) => {
    es = await startFakeElasticsearch()
    const headers: Record<string, string> = { authorization: es.apiKeyAuthorization }
    if (contentType) headers['content-type'] = contentType
    const res = await send(`${es.url}/_bulk`, { headers, body: bulkBody('idx', events('c', 1)) })
    expect([res.status, res.json]).toEqual([status, json])
  })

  it('takes application/json but notes that the contract says application/x-ndjson', async () => {
    es = await startFakeElasticsearch()
    expect((await bulk(bulkBody('idx', events('j', 1)), { 'content-type': 'application/json' })).status).toBe(200)
    expect(es.violations.map((v) => v.rule)).toEqual(['es.content_type'])
  })

  it.each([
    ['no final newline', bulkBody('idx', events('n', 1)).slice(0, -1), 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'],
    ['an empty body', '', 'action_request_validation_exception', 'Validation Failed: 1: no requests added;'],
    ['a malformed action line', 'not json\n{}\n', 'illegal_argument_exception', 'Malformed action/metadata line [1], expected a JSON object with a single action'],
    ['no index anywhere', `{"create":{"_id":"x"}}\n{}\n`, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;'],
    ['an action without its source', `{"create":{"_index":"i","_id":"x"}}\n`, 'illegal_argument_exception', 'The create action at line [1] has no source line'],
  ])('refuses %s with a 400 error envelope', async (_label, body, type, reason) => {
    es = await startFakeElasticsearch()
    const res = await bulk(body)
    expect([res.status, res.json]).toEqual([400, { error: { root_cause: [{ type, reason }], type, reason }, status: 400 }])
    expect(es.acceptedEvents()).toEqual([])
  })

  it('answers 400 "no handler found" off the bulk routes', async () => {
    es = await startFakeElasticsearch()
    const res = await send(`${es.url}/idx/_doc/1`, { method: 'PUT', body: '{}' })
    expect([res.status, res.json]).toEqual([400, { error: 'no handler found for uri [/idx/_doc/1] and method [PUT]', status: 400 }])
  })

  it('answers GET / with the cluster info for a client that checks the product', async () => {
    es = await startFakeElasticsearch()
    const res = await send(`${es.url}/`, { method: 'GET', headers: { authorization: es.basicAuthorization } })
    expect(res.status).toBe(200)
    expect(res.json.tagline).toBe('You Know, for Search')
  })
})

describe('authentication', () => {
  it('takes Basic and ApiKey credentials', async () => {
    es = await startFakeElasticsearch({ username: 'shipper', password: 's3cret', apiKey: 'aWQ6a2V5' })
    expect(es.basicAuthorization).toBe(`Basic ${Buffer.from('shipper:s3cret').toString('base64')}`)
    expect((await bulk(bulkBody('idx', events('b', 1)), { authorization: es.basicAuthorization })).status).toBe(200)
    expect((await bulk(bulkBody('idx', events('k', 1)), { authorization: 'ApiKey aWQ6a2V5' })).status).toBe(200)
    expect(es.requests.map((r) => r.headers.authorization)).toEqual(['Basic [redacted]', 'ApiKey [redacted]'])
  })

  it.each([
    ['none', undefined, 'missing authentication credentials for REST request [/_bulk]'],
    ['a wrong password', `Basic ${Buffer.from('openc2c:wrong').toString('base64')}`, 'unable to authenticate user [openc2c] for REST request [/_bulk]'],
    ['a wrong API key', 'ApiKey bm9wZTpub3Bl', 'unable to authenticate with provided credentials and anonymous access is not allowed for this request'],
  ])('refuses %s with 401 security_exception', async (_label, authorization, reason) => {
    es = await startFakeElasticsearch()
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' }
    if (authorization) headers.authorization = authorization
    const res = await send(`${es.url}/_bulk`, { headers, body: bulkBody('idx', events('x', 1)) })
    expect(res.status).toBe(401)
    expect(res.json.error).toMatchObject({ type: 'security_exception', reason })
    expect(res.headers['www-authenticate']).toContain('ApiKey')
    expect(es.documentCount()).toBe(0)
  })
})

describe('partial failures', () => {
  it('failItems by _id: a 429 es_rejected_execution_exception, then the retry of that item succeeds', async () => {
    es = await startFakeElasticsearch()
    es.failItems(['r-1'])
    const first = await bulk(bulkBody('idx', events('r', 3)))
    expect(first.json.errors).toBe(true)
    expect(first.json.items.map((i: any) => [i.create._id, i.create.status, i.create.error?.type])).toEqual([
      ['r-0', 201, undefined],
      ['r-1', 429, 'es_rejected_execution_exception'],
      ['r-2', 201, undefined],
    ])
    expect(es.documents('idx').has('r-1')).toBe(false)
    const retry = await bulk(bulkBody('idx', [{ id: 'r-1', type: 'AUDIT_LOG', n: 1 }]))
    expect(retry.json.items[0].create.status).toBe(201)
    expect(es.acceptedEvents().map((e) => e.id).sort()).toEqual(['r-0', 'r-1', 'r-2'])
  })

  it('a permanent document_parsing_exception, or any error given, for as many times as asked', async () => {
    es = await startFakeElasticsearch()
    es.failItems(['p-0'], 'document_parsing', { times: 2 })
    es.failItems(['p-1'], { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [n]' })
    await bulk(bulkBody('idx', events('p', 2)))
    const second = await bulk(bulkBody('idx', events('p', 2)))
    const third = await bulk(bulkBody('idx', events('p', 2)))
    expect(second.json.items.map((i: any) => [i.create.status, i.create.error?.type])).toEqual([
      [400, 'document_parsing_exception'],
      [201, undefined],
    ])
    expect(third.json.items[0].create.status).toBe(201)
    expect(third.json.items[1].create.status).toBe(409)
    expect(es.bulkRequests[0]?.items.map((i) => i.errorType)).toEqual(['document_parsing_exception', 'mapper_parsing_exception'])
  })

  it('failItemsOfNextRequest fails positions of the next request only', async () => {
    es = await startFakeElasticsearch()
    es.failItemsOfNextRequest([0, 2], 'rejected')
    const first = await bulk(bulkBody('idx', events('q', 3)))
    expect(first.json.items.map((i: any) => i.create.status)).toEqual([429, 201, 429])
    const second = await bulk(bulkBody('idx', events('w', 3)))
    expect(second.json.items.map((i: any) => i.create.status)).toEqual([201, 201, 201])
  })
})

describe('contract notes and faults', () => {
  it('notes index actions and missing _id, which make resends duplicate', async () => {
    es = await startFakeElasticsearch()
    const body = `{"index":{"_index":"idx","_id":"i-1"}}\n{"id":"i-1"}\n{"index":{"_index":"idx","_id":"i-1"}}\n{"id":"i-1","v":2}\n{"create":{"_index":"idx"}}\n{"id":"noid"}\n`
    const res = await bulk(body)
    expect(res.json.items.map((i: any) => Object.keys(i)[0] + ':' + (i.index ?? i.create).result)).toEqual(['index:created', 'index:updated', 'create:created'])
    expect(es.violations.map((v) => v.rule)).toEqual(['es.action', 'es.action', 'es.id'])
  })

  it('refuses update and delete, which openc2c never sends', async () => {
    es = await startFakeElasticsearch()
    const res = await bulk(`{"delete":{"_index":"idx","_id":"x"}}\n{}\n`)
    expect(res.status).toBe(400)
    expect(res.json.error.reason).toContain('not modelled')
  })

  it('faults answer in the Elasticsearch error envelope', async () => {
    es = await startFakeElasticsearch()
    es.faults.failNext(1, { status: 503 }).throttleNext(1, { retryAfterSeconds: 2 })
    const unavailable = await bulk(bulkBody('idx', events('f', 1)))
    expect([unavailable.status, unavailable.json.error.type]).toEqual([503, 'cluster_block_exception'])
    const throttled = await bulk(bulkBody('idx', events('f', 1)))
    expect([throttled.status, throttled.json.error.type, throttled.headers['retry-after']]).toEqual([429, 'es_rejected_execution_exception', '2'])
  })
})
