// Wire tests for hosted collectors against docs/sumo-collector-api.md §4, §6 and §7.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../../helpers/app.js'
import { collectorBody } from '../../../helpers/fixtures.js'

let t: TestService
beforeAll(async () => {
  t = await startTestService()
})
afterAll(async () => {
  await t?.close()
})

async function createCollector(name: string, extra: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/v1/collectors', collectorBody(name, extra))
  expect(res.statusCode, res.body).toBe(201)
  return { collector: res.json().collector, etag: res.headers.etag as string }
}

describe('POST /api/v1/collectors', () => {
  it('creates a hosted collector: 201, Location, ETag, full body with UTC default', async () => {
    const res = await t.request('POST', '/api/v1/collectors', collectorBody('c-create', { description: 'd', category: 'cat', fields: { _budget: 'Dev_20GB' } }))
    expect(res.statusCode).toBe(201)
    const { collector } = res.json()
    expect(collector).toMatchObject({
      name: 'c-create',
      description: 'd',
      category: 'cat',
      fields: { _budget: 'Dev_20GB' },
      timeZone: 'UTC',
      collectorType: 'Hosted',
      collectorVersion: '',
      alive: true,
    })
    expect(Number.isInteger(collector.id)).toBe(true)
    expect(Number.isInteger(collector.lastSeenAlive)).toBe(true)
    expect(Math.abs(collector.lastSeenAlive - Date.now())).toBeLessThan(60_000)
    expect(res.headers.location).toBe(`/v1/collectors/${collector.id}`)
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(collector.links).toEqual([{ rel: 'sources', href: `/v1/collectors/${collector.id}/sources` }])
  })

  it('echoes the time zone verbatim', async () => {
    const { collector } = await createCollector('c-tz', { timeZone: 'Etc/UTC' })
    expect(collector.timeZone).toBe('Etc/UTC')
  })

  it('tolerates api.version, explicit nulls and transient fields the Sumo provider sends', async () => {
    const res = await t.request('POST', '/api/v1/collectors', {
      'api.version': 'v1',
      collector: {
        collectorType: 'Hosted',
        name: 'c-tolerant',
        description: null,
        timeZone: null,
        fields: null,
        ephemeral: false,
        alive: null,
        links: null,
        id: null,
        lastSeenAlive: 0,
        targetCpu: 0,
        cutoffTimestamp: 0,
        hostName: '',
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().collector).toMatchObject({ name: 'c-tolerant', timeZone: 'UTC', fields: {} })
    expect(res.json().collector.description).toBeUndefined()
  })

  it('rejects a duplicate name with 400 collectors.validation.name.duplicate', async () => {
    await createCollector('c-dup')
    const res = await t.request('POST', '/api/v1/collectors', collectorBody('c-dup'))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'collectors.validation.name.duplicate', errors: [{ path: '$.collector.name' }] })
  })

  it.each([
    [{ collector: { collectorType: 'Hosted' } }, '$.collector.name', 'is required'],
    [{ collector: { name: '' } }, '$.collector.name', 'must be 1 to 128 characters and not blank'],
    [{ collector: { name: '   ' } }, '$.collector.name', 'must be 1 to 128 characters and not blank'],
    [{ collector: { name: 'x'.repeat(129) } }, '$.collector.name', 'must be 1 to 128 characters and not blank'],
    [{ collector: { name: 42 } }, '$.collector.name', 'must be a string'],
    [{ collector: { name: 'ok', description: 'x'.repeat(1025) } }, '$.collector.description', 'must NOT have more than 1024 characters'],
    [{ collector: { name: 'ok', fields: { a: 1 } } }, '$.collector.fields.a', 'must be a string'],
    [{ collector: { name: 'ok', timeZone: 'Mars/Olympus' } }, '$.collector.timeZone', 'must be an IANA time zone name such as "UTC" or "Europe/Berlin"'],
    [{ collector: { name: 'ok', collectorType: 'Installable' } }, '$.collector.collectorType', 'must be "Hosted": only hosted collectors are managed here'],
    [{ name: 'no envelope' }, '$.collector', 'is required'],
    [{ 'api.version': 'v2', collector: { name: 'ok' } }, '$["api.version"]', 'must be one of: "v1", null'],
  ])('rejects %j at %s', async (body, path, message) => {
    const before = await t.request('GET', '/api/v1/collectors')
    const res = await t.request('POST', '/api/v1/collectors', body)
    expect(res.statusCode).toBe(400)
    const error = res.json()
    expect(error).toMatchObject({ status: 400 })
    expect(error.id).toMatch(/^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$/)
    expect(error.code).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/)
    expect(error.errors).toContainEqual({ path, message })
    expect(error.message).toContain(path)
    const after = await t.request('GET', '/api/v1/collectors')
    expect(after.json()).toEqual({ collectors: before.json().collectors.map((c: any) => ({ ...c, lastSeenAlive: expect.any(Number) })) })
  })

  it('rejects a NUL character (which Postgres text cannot store) with 400, in bodies and in names', async () => {
    const body = await t.request('POST', '/api/v1/collectors', collectorBody('nul\u0000name'))
    expect(body.statusCode).toBe(400)
    expect(body.json()).toMatchObject({ code: 'json.invalid', errors: [{ path: '$.collector.name' }] })
    expect(body.json().message).toContain('NUL')
    const byName = await t.request('GET', '/api/v1/collectors/name/a%00b')
    expect(byName.statusCode).toBe(404)
  })

  it('rejects lone UTF-16 surrogates in values and keys with 400 naming each field; a valid pair is stored as sent', async () => {
    const before = await t.request('GET', '/api/v1/collectors')
    const res = await t.request('POST', '/api/v1/collectors', collectorBody('lone\ud800', { description: 'ok', fields: { a: '\udc00', ['\ud83d']: 'x' } }))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'json.invalid' })
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(['$.collector.name', '$.collector.fields.a', '$.collector.fields["\\ud83d"]'])
    // The answer itself is plain ASCII: the offending text is never echoed.
    expect(res.body).toMatch(/^[\x20-\x7e]+$/)
    expect((await t.request('GET', '/api/v1/collectors')).json().collectors).toHaveLength(before.json().collectors.length)
    const { collector } = await createCollector('pair \ud83d\ude00')
    expect((await t.request('GET', `/api/v1/collectors/${collector.id}`)).json().collector.name).toBe('pair \u{1F600}')
  })

  it('rejects reserved keys, and a lone surrogate nested too deep to walk recursively with a short path', async () => {
    const proto = await t.request('POST', '/api/v1/collectors', '{"collector":{"name":"p","fields":{"__proto__":{"x":"1"}}}}')
    expect(proto.statusCode).toBe(400)
    expect(proto.json().errors).toEqual([{ path: '$.collector.fields.__proto__', message: 'is a reserved key name, not accepted' }])
    const deep = await t.request('POST', '/api/v1/collectors', `{"collector":{"name":"deep","x":${'['.repeat(200_000)}"\\ud800"${']'.repeat(200_000)}}}`)
    expect(deep.statusCode, deep.body.slice(0, 300)).toBe(400)
    expect(deep.json().errors).toEqual([
      { path: `$.collector.x${'[0]'.repeat(30)}`, message: expect.stringMatching(/^has, 199970 levels further in, a value that holds a lone UTF-16 surrogate/) },
    ])
  })

  it('treats "api.version": null as absent', async () => {
    const res = await t.request('POST', '/api/v1/collectors', { 'api.version': null, ...collectorBody('c-null-version') })
    expect(res.statusCode, res.body).toBe(201)
  })

  it('answers invalid JSON with 400 json.invalid and a non-JSON content type with 415', async () => {
    const bad = await t.request('POST', '/api/v1/collectors', '{"collector": {', { 'content-type': 'application/json' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().code).toBe('json.invalid')
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/collectors', headers: { authorization: t.authorization, 'content-type': 'text/plain' }, payload: 'hello' })
    expect(text.statusCode).toBe(415)
    expect(text.json()).toMatchObject({ status: 415, code: 'contenttype.invalid' })
  })
})

describe('GET collectors', () => {
  it('gets by id with an ETag that is stable across reads', async () => {
    const { collector, etag } = await createCollector('c-get')
    const a = await t.request('GET', `/api/v1/collectors/${collector.id}`)
    const b = await t.request('GET', `/api/v1/collectors/${collector.id}`)
    expect(a.statusCode).toBe(200)
    expect(a.json().collector).toMatchObject({ id: collector.id, name: 'c-get' })
    expect(a.headers.etag).toBe(etag)
    expect(b.headers.etag).toBe(etag)
  })

  it('accepts Content-Type: application/json with an empty body on GET, as the Sumo provider sends', async () => {
    const { collector } = await createCollector('c-ctype')
    const res = await t.request('GET', `/api/v1/collectors/${collector.id}`, undefined, { 'content-type': 'application/json' })
    expect(res.statusCode).toBe(200)
  })

  it('answers an unknown or malformed id with 404 collectors.collector.invalid', async () => {
    for (const id of ['999999999', 'abc', '-1', '1.5', '99999999999999999999']) {
      const res = await t.request('GET', `/api/v1/collectors/${id}`)
      expect(res.statusCode, id).toBe(404)
      expect(res.json()).toMatchObject({ status: 404, code: 'collectors.collector.invalid' })
    }
  })

  it('gets by name, URL-decoded, with or without a trailing slash, and 404s an unknown name', async () => {
    const { collector } = await createCollector('my collector.v2')
    for (const url of ['/api/v1/collectors/name/my%20collector.v2', '/api/v1/collectors/name/my%20collector.v2/', '/v1/collectors/name/my%20collector.v2']) {
      const res = await t.request('GET', url)
      expect(res.statusCode, url).toBe(200)
      expect(res.json().collector.id).toBe(collector.id)
      expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    }
    const missing = await t.request('GET', '/api/v1/collectors/name/nobody')
    expect(missing.statusCode).toBe(404)
    expect(missing.json().code).toBe('collectors.collector.invalid')
  })

  it('lists with limit and offset, and filter hosted/alive/installed/dead; no ETag on lists', async () => {
    for (const n of ['l-1', 'l-2', 'l-3']) await createCollector(n)
    const all = await t.request('GET', '/api/v1/collectors')
    expect(all.statusCode).toBe(200)
    expect(all.headers.etag).toBeUndefined()
    const names = all.json().collectors.map((c: { name: string }) => c.name)
    expect(names).toEqual(expect.arrayContaining(['l-1', 'l-2', 'l-3']))
    const ids = all.json().collectors.map((c: { id: number }) => c.id)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)

    const page = await t.request('GET', '/api/v1/collectors?limit=2&offset=1')
    expect(page.json().collectors.map((c: { id: number }) => c.id)).toEqual(ids.slice(1, 3))
    expect((await t.request('GET', '/api/v1/collectors?filter=hosted')).json().collectors).toHaveLength(ids.length)
    expect((await t.request('GET', '/api/v1/collectors?filter=alive')).json().collectors).toHaveLength(ids.length)
    expect((await t.request('GET', '/api/v1/collectors?filter=installed')).json().collectors).toEqual([])
    expect((await t.request('GET', '/api/v1/collectors?filter=dead')).json().collectors).toEqual([])
    expect((await t.request('GET', '/api/v1/collectors/offline')).json()).toEqual({ collectors: [] })
  })

  it.each([
    ['filter=bogus', 'query.filter'],
    ['limit=0', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['limit=1001', 'query.limit'],
    ['offset=-1', 'query.offset'],
    // Past what Postgres takes as LIMIT/OFFSET (bigint): a 400, never a 500 from the database.
    ['offset=99999999999999', 'query.offset'],
    ['offset=9999999999999999999999', 'query.offset'],
    ['offset=2147483648', 'query.offset'],
    ['limit=99999999999999999999', 'query.limit'],
  ])('rejects ?%s naming %s', async (query, path) => {
    const res = await t.request('GET', `/api/v1/collectors?${query}`)
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
  })
})

describe('numeric parameters at their limits', () => {
  it('accepts the largest offset, and bounds every numeric query parameter of /collectors/offline', async () => {
    const last = await t.request('GET', '/api/v1/collectors?offset=2147483647&limit=1000')
    expect(last.statusCode, last.body).toBe(200)
    expect(last.json()).toEqual({ collectors: [] })
    for (const query of ['offset=9999999999999999999999', 'limit=99999999999999999999', 'aliveBeforeDays=9999999999999999999999']) {
      const res = await t.request('GET', `/api/v1/collectors/offline?${query}`)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(`query.${query.split('=')[0]}`)
    }
  })

  it('answers ids beyond the bigint range (or any number) with 404 on every collector and source route', async () => {
    const huge = ['9223372036854775807', '9223372036854775808', '99999999999999999999999', '1e400', '-1']
    for (const id of huge) {
      for (const [method, url] of [
        ['GET', `/api/v1/collectors/${id}`],
        ['PUT', `/api/v1/collectors/${id}`],
        ['DELETE', `/api/v1/collectors/${id}`],
        ['GET', `/api/v1/collectors/${id}/sources`],
        ['POST', `/api/v1/collectors/${id}/sources`],
        ['GET', `/api/v1/collectors/${id}/sources/${id}`],
        ['PUT', `/api/v1/collectors/${id}/sources/${id}`],
        ['DELETE', `/api/v1/collectors/${id}/sources/${id}`],
      ] as const) {
        const body = method === 'PUT' || method === 'POST' ? (url.includes('sources') ? { source: { sourceType: 'Universal', schemaRef: { type: 'x' }, config: {} } } : collectorBody('x')) : undefined
        const res = await t.request(method, url, body, { 'if-match': '"x"' })
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404)
        expect(res.json().code).toBe('collectors.collector.invalid')
      }
    }
  })
})

describe('PUT /api/v1/collectors/{id}', () => {
  it('replaces fully: absent optional fields are cleared, and the ETag changes', async () => {
    const { collector, etag } = await createCollector('c-put', { description: 'keep?', category: 'cat', fields: { a: 'b' }, timeZone: 'Europe/Berlin' })
    const res = await t.request('PUT', `/api/v1/collectors/${collector.id}`, { collector: { id: collector.id, collectorType: 'Hosted', name: 'c-put-renamed', ephemeral: false } }, { 'if-match': etag })
    expect(res.statusCode, res.body).toBe(200)
    const updated = res.json().collector
    expect(updated).toMatchObject({ id: collector.id, name: 'c-put-renamed', timeZone: 'UTC', fields: {} })
    expect(updated.description).toBeUndefined()
    expect(updated.category).toBeUndefined()
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(res.headers.etag).not.toBe(etag)
    const read = await t.request('GET', `/api/v1/collectors/${collector.id}`)
    expect(read.headers.etag).toBe(res.headers.etag)
    expect(read.json().collector.name).toBe('c-put-renamed')
  })

  it('answers a missing or empty If-Match with 403 and a stale one with 412, changing nothing', async () => {
    const { collector, etag } = await createCollector('c-etag')
    const body = { collector: { name: 'c-etag-new' } }
    const missing = await t.request('PUT', `/api/v1/collectors/${collector.id}`, body)
    expect(missing.statusCode).toBe(403)
    expect(missing.json()).toMatchObject({ status: 403, code: 'forbidden' })
    const empty = await t.request('PUT', `/api/v1/collectors/${collector.id}`, body, { 'if-match': '' })
    expect(empty.statusCode).toBe(403)
    const stale = await t.request('PUT', `/api/v1/collectors/${collector.id}`, body, { 'if-match': '"00000000000000000000000000000000"' })
    expect(stale.statusCode).toBe(412)
    expect(stale.json()).toMatchObject({ status: 412, code: 'precondition.failed' })
    const read = await t.request('GET', `/api/v1/collectors/${collector.id}`)
    expect(read.json().collector.name).toBe('c-etag')
    expect(read.headers.etag).toBe(etag)
  })

  it('rejects an id in the body that differs from the URL, and a rename onto an existing name', async () => {
    const { collector, etag } = await createCollector('c-mismatch')
    await createCollector('c-taken')
    const mismatch = await t.request('PUT', `/api/v1/collectors/${collector.id}`, { collector: { id: collector.id + 1, name: 'x' } }, { 'if-match': etag })
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json().errors[0].path).toBe('$.collector.id')
    const dup = await t.request('PUT', `/api/v1/collectors/${collector.id}`, { collector: { name: 'c-taken' } }, { 'if-match': etag })
    expect(dup.statusCode).toBe(400)
    expect(dup.json().code).toBe('collectors.validation.name.duplicate')
  })

  it('answers PUT on an unknown collector with 404', async () => {
    const res = await t.request('PUT', '/api/v1/collectors/123456789', { collector: { name: 'x' } }, { 'if-match': '"x"' })
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('collectors.collector.invalid')
  })
})

describe('DELETE /api/v1/collectors/{id}', () => {
  it('answers 200 with an empty body, then 404 on GET and on a second DELETE', async () => {
    const { collector } = await createCollector('c-del')
    const res = await t.request('DELETE', `/api/v1/collectors/${collector.id}`, undefined, { 'content-type': 'application/json' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('')
    expect((await t.request('GET', `/api/v1/collectors/${collector.id}`)).statusCode).toBe(404)
    const again = await t.request('DELETE', `/api/v1/collectors/${collector.id}`)
    expect(again.statusCode).toBe(404)
    expect(again.json().code).toBe('collectors.collector.invalid')
  })
})

describe('auth and routing', () => {
  it('answers missing or wrong credentials with 401 unauthorized on every API route', async () => {
    for (const headers of [{}, { authorization: `Basic ${Buffer.from(`${t.accessId}:wrong`).toString('base64')}` }, { authorization: 'Bearer x' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/collectors', headers })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' })
      expect(res.headers['www-authenticate']).toContain('Basic')
    }
  })

  it('serves every route under /v1 as well as /api/v1', async () => {
    const res = await t.request('POST', '/v1/collectors', collectorBody('c-alias'))
    expect(res.statusCode).toBe(201)
    const id = res.json().collector.id
    expect((await t.request('GET', `/v1/collectors/${id}`)).statusCode).toBe(200)
    expect((await t.request('GET', `/api/v1/collectors/${id}`)).statusCode).toBe(200)
  })

  it('answers an unknown route with a 404 error body', async () => {
    const res = await t.request('GET', '/api/v1/nothing')
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ status: 404, code: 'notfound' })
  })
})
