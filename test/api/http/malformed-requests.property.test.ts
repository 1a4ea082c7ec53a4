// Property test: thousands of malformed bodies, headers, ids and query strings. Whatever arrives,
// the API answers below 500 with a well-formed error body, and a rejected request changes no row.
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../helpers/app.js'
import { chatGptSourceBody, collectorBody } from '../../helpers/fixtures.js'

let t: TestService
let collectorId: number
let sourceId: number
let collectorEtag: string
let sourceEtag: string

beforeAll(async () => {
  t = await startTestService()
  const c = await t.request('POST', '/api/v1/collectors', collectorBody('fuzz-target', { description: 'original' }))
  collectorId = c.json().collector.id
  collectorEtag = c.headers.etag as string
  const s = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, chatGptSourceBody())
  sourceId = s.json().source.id
  sourceEtag = s.headers.etag as string
})
afterAll(async () => {
  await t?.close()
})

async function snapshot(): Promise<string> {
  const db = t.service.database.db
  const collectors = await db.selectFrom('collectors').selectAll().orderBy('id').execute()
  const sources = await db.selectFrom('sources').selectAll().orderBy('id').execute()
  const keys = await db.selectFrom('access_keys').selectAll().orderBy('access_id').execute()
  return JSON.stringify({ collectors, sources, keys })
}

function assertWellFormed(res: LightMyRequestResponse): void {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBeLessThan(500)
  if (res.statusCode < 400) return
  const body = JSON.parse(res.body)
  expect(body.status).toBe(res.statusCode)
  expect(body.id).toMatch(/^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$/)
  expect(body.code).toMatch(/^[a-z]+(\.[a-zA-Z]+)*$/)
  expect(typeof body.message).toBe('string')
  expect(body.message.length).toBeGreaterThan(0)
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true)
    for (const e of body.errors) {
      expect(typeof e.path).toBe('string')
      expect(typeof e.message).toBe('string')
    }
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Sends the request; a rejected one must leave every stored row as it was. */
async function check(method: string, url: string, headers: Record<string, string>, payload?: string): Promise<LightMyRequestResponse> {
  const before = await snapshot()
  const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) })
  assertWellFormed(res)
  // Nothing accepted is silently altered: text that cannot be stored as sent is a 400, not a U+FFFD.
  expect(LONE_SURROGATE.test(res.body), res.body).toBe(false)
  if (res.statusCode < 300 && !(payload ?? '').includes('\ufffd')) expect(res.body).not.toContain('\ufffd')
  if (res.statusCode >= 400) expect(await snapshot()).toBe(before)
  else if (res.statusCode === 200 && method === 'PUT') {
    // A PUT that got through changed the ETag; keep using the current one.
    if (url.includes('/sources/')) sourceEtag = res.headers.etag as string
    else collectorEtag = res.headers.etag as string
  }
  return res
}

const weirdSegment = fc.oneof(
  fc.integer({ min: -5, max: 2 ** 40 }).map(String),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('', '0', '00', '1e3', '0x10', '-0', '..', '%2e%2e', '%00', '%ZZ', '9'.repeat(40), 'null', 'undefined', '%F0%9F%92%A9', 'a%2Fb', ' '),
)

/** Replaces one value somewhere inside a valid body with something else. */
function mutate(body: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0 || body === null || typeof body !== 'object') return replacement
  const copy: any = Array.isArray(body) ? [...body] : { ...(body as object) }
  const keys = Object.keys(copy)
  if (keys.length === 0) return replacement
  const key = keys[Number(path[0]) % keys.length]!
  copy[key] = mutate(copy[key], path.slice(1), replacement)
  return copy
}

const hasKeys = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0

/** Renames one key of a valid body: the path picks it as in mutate, stopping where no deeper key exists. */
function renameKey(body: object, path: (string | number)[], newKey: string): object {
  const entries = Object.entries(body)
  const index = Number(path[0] ?? 0) % entries.length
  return Object.fromEntries(
    entries.map(([k, v], i) => (i !== index ? [k, v] : path.length > 1 && hasKeys(v) ? [k, renameKey(v, path.slice(1), newKey)] : [newKey, v])),
  )
}

/**
 * Strings of UTF-16 code units, not code points: lone surrogates (`\ud800`, a low half first, a high
 * half last) and U+0000 come up often, as do valid pairs, which must pass.
 */
const codeUnitString = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\ud83d\ude00', '\u0000', 'a', '-', ' '),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 8,
})
const unstorableString = fc.constantFrom('\ud800', '\udfff', 'ok\ud83d', '\ude00ok', '\ude00\ud83d', 'nul\u0000byte')
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(null),
  codeUnitString,
  fc.constantFrom(null, '', '********', -1, 1.5, 2 ** 60, [], {}, 'x'.repeat(5000), 'nul\u0000byte', '\ud800', '\ud83d\ude00'),
)
const mutatedSource = fc.tuple(fc.array(fc.nat(20), { maxLength: 4 }), anyJson).map(([path, value]) => mutate(chatGptSourceBody({ id: null }), path, value))
const mutatedCollector = fc.tuple(fc.array(fc.nat(20), { maxLength: 3 }), anyJson).map(([path, value]) => mutate(collectorBody('fuzz-target', { description: 'changed' }), path, value))
const renamedSourceKey = fc.tuple(fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }), codeUnitString).map(([path, key]) => renameKey(chatGptSourceBody({ id: null }), path, key))
const rawBody = fc.oneof(
  mutatedSource.map((b) => JSON.stringify(b)),
  renamedSourceKey.map((b) => JSON.stringify(b)),
  mutatedCollector.map((b) => JSON.stringify(b)),
  anyJson.map((b) => JSON.stringify(b)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"source":', '[', '"', 'null', '{"__proto__":{"x":1}}', '{"source":{"constructor":{}}}', '\u0000', '{"a":1}{"b":2}'),
)

const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx', '*/*'),
  fc.string({ maxLength: 20 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
)
const headerValue = fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s))

describe('malformed requests', () => {
  it('bodies: mutated source and collector bodies, random JSON and non-JSON text on POST and PUT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST /sources', 'PUT /sources/{id}', 'POST /collectors', 'PUT /collectors/{id}'),
        rawBody,
        fc.oneof(fc.constant('application/json'), contentType),
        fc.boolean(),
        async (route, payload, type, validEtag) => {
          const [method, template] = route.split(' ') as [string, string]
          const isSource = template.includes('sources')
          const url = isSource
            ? `/api/v1/collectors/${collectorId}${template.replace('{id}', String(sourceId))}`
            : `/api/v1${template.replace('{id}', String(collectorId))}`
          const headers: Record<string, string> = { authorization: t.authorization, 'content-type': type }
          if (method === 'PUT') headers['if-match'] = validEtag ? (isSource ? sourceEtag : collectorEtag) : '"stale"'
          await check(method, url, headers, payload)
        },
      ),
      { numRuns: 1500 },
    )
  })

  it('unstorable text: a lone surrogate or NUL anywhere in a body, as a value or a key, is a 400 naming where', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST /sources', 'PUT /sources/{id}', 'POST /collectors', 'PUT /collectors/{id}'),
        fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
        unstorableString,
        fc.boolean(),
        async (route, path, bad, asKey) => {
          const [method, template] = route.split(' ') as [string, string]
          const isSource = template.includes('sources')
          const valid = isSource ? chatGptSourceBody({ id: null }, { name: 'unstorable' }) : collectorBody('unstorable')
          // Appended to a string value, or used as a key: either way the body can't be stored as sent.
          const body = asKey ? renameKey(valid, path, bad) : mutate(valid, path, bad)
          const url = isSource
            ? `/api/v1/collectors/${collectorId}${template.replace('{id}', String(sourceId))}`
            : `/api/v1${template.replace('{id}', String(collectorId))}`
          const headers: Record<string, string> = { authorization: t.authorization, 'content-type': 'application/json' }
          if (method === 'PUT') headers['if-match'] = isSource ? sourceEtag : collectorEtag
          const res = await check(method, url, headers, JSON.stringify(body))
          expect(res.statusCode, res.body).toBe(400)
          expect(res.json().code).toBe('json.invalid')
          expect(res.json().errors.length).toBeGreaterThan(0)
          for (const e of res.json().errors) expect(e.path).toMatch(/^\$[.[]/)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('ids and paths: random ids and segments on every route and method', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.constantFrom('/collectors/{a}', '/collectors/{a}/sources', '/collectors/{a}/sources/{b}', '/collectors/name/{a}', '/{a}', '/collectors/{a}/sources/{b}/{a}'),
        weirdSegment,
        weirdSegment,
        fc.constantFrom('/api/v1', '/v1', '/api', ''),
        async (method, template, a, b, prefix) => {
          // Never let a fuzzed DELETE/PUT hit the real target ids; unknown ids are the point here.
          const safe = (s: string) => (s === String(collectorId) || s === String(sourceId) ? `${s}0` : s)
          const url = prefix + template.replace(/\{a\}/g, safe(a)).replace('{b}', safe(b))
          const headers: Record<string, string> = { authorization: t.authorization }
          let payload: string | undefined
          if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
            headers['content-type'] = 'application/json'
            payload = JSON.stringify(template.includes('sources') ? chatGptSourceBody() : collectorBody(`fuzz-${a}`))
            headers['if-match'] = '"x"'
          }
          await check(method, url, headers, payload)
        },
      ),
      { numRuns: 1200 },
    )
  })

  it('headers and query strings: random auth, If-Match, content types and query parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET /collectors', 'GET /collectors/{c}', 'GET /collectors/{c}/sources', 'GET /collectors/{c}/sources/{s}', 'PUT /collectors/{c}/sources/{s}', 'DELETE /collectors/{c}/sources/{s}0'),
        fc.dictionary(fc.constantFrom('filter', 'limit', 'offset', 'download', 'x', 'limit[]', 'a.b'), fc.oneof(headerValue.map(encodeURIComponent), fc.constantFrom('0', '-1', '1001', 'true', 'false', '1e2', '', 'hosted', 'dead')), { maxKeys: 4 }),
        fc.oneof(
          fc.constant('valid'),
          headerValue.map((v) => `Basic ${v}`),
          headerValue,
          fc.constantFrom('Basic', 'Basic =', `Basic ${Buffer.from(':').toString('base64')}`, `Basic ${Buffer.from('test-access-id').toString('base64')}`, 'Bearer abc'),
        ),
        fc.option(headerValue, { nil: undefined }),
        fc.option(contentType, { nil: undefined }),
        async (route, query, auth, ifMatch, type) => {
          const [method, template] = route.split(' ') as [string, string]
          const qs = new URLSearchParams(query).toString()
          const url = `/api/v1${template.replace('{c}', String(collectorId)).replace('{s}', String(sourceId))}${qs ? `?${qs}` : ''}`
          const headers: Record<string, string> = { authorization: auth === 'valid' ? t.authorization : auth }
          if (ifMatch !== undefined) headers['if-match'] = ifMatch
          if (type !== undefined) headers['content-type'] = type
          const payload = method === 'PUT' ? JSON.stringify(chatGptSourceBody({ id: sourceId }, { description: 'header fuzz' })) : undefined
          await check(method, url, headers, payload)
        },
      ),
      { numRuns: 1200 },
    )
  })
})
