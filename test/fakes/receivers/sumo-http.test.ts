import { deflateSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeSumoHttp, type FakeSumoHttp } from './sumo-http.js'
import { events, send, type ClientResult } from './test-support.js'

let sumo: FakeSumoHttp
afterEach(() => sumo.close())

const lines = (prefix: string, n: number): string => events(prefix, n).map((e) => JSON.stringify(e)).join('\n') + '\n'

function post(body: string | Buffer, headers: Record<string, string> = { 'content-encoding': 'gzip' }, url = sumo.url): Promise<ClientResult> {
  return send(url, { headers, body })
}

describe('HTTP logs source', () => {
  it('ingests gzip lines with the X-Sumo-* metadata, and logs the path without the code', async () => {
    sumo = await startFakeSumoHttp({ code: 'ZaVnC4dhaV2Zz0dSeCRET' })
    expect(sumo.url).toBe(`${sumo.origin}/receiver/v1/http/ZaVnC4dhaV2Zz0dSeCRET`)
    const res = await post(gzipSync(lines('s', 3)), {
      'content-encoding': 'gzip',
      'x-sumo-name': 'chatgpt-compliance',
      'x-sumo-category': 'chatgpt/compliance',
      'x-sumo-host': 'openc2c-1',
      'x-sumo-fields': 'source_type=chatgpt_compliance, workspace=ws-1',
    })
    expect(res.status).toBe(200)
    expect(sumo.batches).toEqual([
      expect.objectContaining({
        name: 'chatgpt-compliance',
        category: 'chatgpt/compliance',
        host: 'openc2c-1',
        fields: { source_type: 'chatgpt_compliance', workspace: 'ws-1' },
        encoding: 'gzip',
        lineCount: 3,
        ingestedLines: 3,
        overLimit: false,
      }),
    ])
    expect(sumo.lines()).toEqual(lines('s', 3).trim().split('\n'))
    expect(sumo.acceptedEvents().map((e) => e.id)).toEqual(['s-0', 's-1', 's-2'])
    expect(sumo.requests[0]?.path).toBe('/receiver/v1/http/{code}')
    expect(JSON.stringify(sumo.requests)).not.toContain('SeCRET')
    expect(sumo.violations).toEqual([])
  })

  it('records lines that are not JSON as text, CRLF and blank lines handled', async () => {
    sumo = await startFakeSumoHttp()
    await post(gzipSync('plain text line\r\n\r\n{"id":"j"}\nlast line without newline'))
    expect(sumo.lines()).toEqual(['plain text line', '{"id":"j"}', 'last line without newline'])
    expect(sumo.acceptedEvents().map((e) => e.id)).toEqual([undefined, 'j', undefined])
  })

  it('answers 401 to an unknown or missing code and stores nothing', async () => {
    sumo = await startFakeSumoHttp()
    const res = await post(gzipSync(lines('x', 1)), { 'content-encoding': 'gzip' }, `${sumo.origin}/receiver/v1/http/not-the-code`)
    expect(res.status).toBe(401)
    expect((await post(gzipSync(lines('x', 1)), { 'content-encoding': 'gzip' }, `${sumo.origin}/receiver/v1/http/`)).status).toBe(401)
    expect((await post(gzipSync(lines('x', 1)), { 'content-encoding': 'gzip' }, `${sumo.origin}/receiver/v1/http`)).status).toBe(401)
    expect(sumo.batches).toEqual([])
    expect(sumo.requests.map((r) => r.rejection)).toEqual(['unknown source code', 'unknown source code', 'unknown source code'])
  })

  it('answers 404 off the receiver path and 405 to anything but POST', async () => {
    sumo = await startFakeSumoHttp()
    expect((await post('x', {}, `${sumo.origin}/receiver/v2/other`)).status).toBe(404)
    expect((await send(sumo.url, { method: 'PUT', body: 'x' })).status).toBe(405)
  })

  it('takes deflate and plain bodies but notes they are not gzip; refuses an unknown encoding', async () => {
    sumo = await startFakeSumoHttp()
    expect((await post(deflateSync(lines('d', 1)), { 'content-encoding': 'deflate' })).status).toBe(200)
    expect((await post(lines('p', 1), {})).status).toBe(200)
    expect((await post(lines('b', 1), { 'content-encoding': 'br' })).status).toBe(415)
    expect((await post('not gzip', { 'content-encoding': 'gzip' })).status).toBe(400)
    expect(sumo.lines()).toHaveLength(2)
    expect(sumo.violations.map((v) => v.detail)).toEqual(['body sent as deflate, not gzip', 'body sent as identity, not gzip'])
  })

  it('flags a request over 1,000,000 bytes uncompressed, and still ingests it', async () => {
    sumo = await startFakeSumoHttp()
    const line = 'x'.repeat(999) + '\n'
    const justUnder = line.repeat(1000) // 1,000,000 bytes exactly: at the ceiling, not over
    expect((await post(gzipSync(justUnder))).status).toBe(200)
    expect((await post(gzipSync(justUnder + 'y\n'))).status).toBe(200)
    expect(sumo.batches.map((b) => [b.uncompressedBytes, b.overLimit])).toEqual([
      [1_000_000, false],
      [1_000_002, true],
    ])
    expect(sumo.oversizedBatches()).toHaveLength(1)
    expect(sumo.violations).toEqual([{ requestSeq: 2, rule: 'sumo.size', detail: '1000002 bytes uncompressed, over 1000000' }])
  })

  it('notes an X-Sumo-Fields entry that is not key=value', async () => {
    sumo = await startFakeSumoHttp()
    await post(gzipSync(lines('f', 1)), { 'content-encoding': 'gzip', 'x-sumo-fields': 'a=1,broken,b=2' })
    expect(sumo.batches[0]?.fields).toEqual({ a: '1', b: '2' })
    expect(sumo.violations.map((v) => v.rule)).toEqual(['sumo.fields'])
  })
})

describe('quiet losses', () => {
  it('dropNext: 200 with nothing ingested, as an Ingest Budget stop does', async () => {
    sumo = await startFakeSumoHttp()
    sumo.dropNext()
    expect((await post(gzipSync(lines('gone', 2)))).status).toBe(200)
    expect((await post(gzipSync(lines('kept', 1)))).status).toBe(200)
    expect(sumo.batches.map((b) => [b.lineCount, b.ingestedLines, b.lost])).toEqual([
      [2, 0, 'budget'],
      [1, 1, undefined],
    ])
    expect(sumo.acceptedEvents().map((e) => e.id)).toEqual(['kept-0'])
  })

  it('timeoutNext: 408 after only the first lines were ingested', async () => {
    sumo = await startFakeSumoHttp()
    sumo.timeoutNext(1, { keepLines: 2 })
    const res = await post(gzipSync(lines('t', 5)))
    expect(res.status).toBe(408)
    expect(sumo.acceptedEvents().map((e) => e.id)).toEqual(['t-0', 't-1'])
    expect(sumo.batches[0]).toMatchObject({ lineCount: 5, ingestedLines: 2, lost: 'timeout' })
  })
})

describe('faults in Sumo shapes', () => {
  it('429 says the data was dropped and carries Retry-After; 503 and 401 are plain text', async () => {
    sumo = await startFakeSumoHttp()
    sumo.faults.throttleNext(1, { retryAfterSeconds: 30 }).failNext(1, { status: 503 }).unauthorizedNext()
    const throttled = await post(gzipSync(lines('a', 1)))
    expect([throttled.status, throttled.headers['retry-after'], throttled.text]).toEqual([429, '30', expect.stringContaining('resend')])
    const busy = await post(gzipSync(lines('a', 1)))
    expect([busy.status, busy.headers['content-type']]).toEqual([503, 'text/plain; charset=UTF-8'])
    expect((await post(gzipSync(lines('a', 1)))).status).toBe(401)
    expect(sumo.batches).toEqual([])
  })
})
