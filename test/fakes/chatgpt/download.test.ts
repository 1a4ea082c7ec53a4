import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance, type LogFileInfo } from './fake-compliance.js'
import { apiGet, logsPath, ManualClock, rawGet, sha256Hex, signedUrlFor } from './test-support.js'

let clock: ManualClock
let fake: FakeCompliance
let file: LogFileInfo

beforeEach(async () => {
  clock = new ManualClock('2026-08-01T00:00:00Z')
  fake = await startFakeCompliance({ now: clock.now, signedUrlTtlSeconds: 60, rateLimitPerMinute: 0 })
  file = fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 25)[0] as LogFileInfo
})
afterEach(() => fake.close())

describe('GET …/logs/{id} → 307 → signed storage', () => {
  it('redirects to a signed URL on the separate storage listener', async () => {
    const res = await apiGet(fake, `${logsPath(fake)}/${file.id}`)
    expect(res.status).toBe(307)
    const location = new URL(res.headers.get('location') as string)
    expect(location.origin).toBe(fake.signedOrigin)
    expect(location.port).toBe(String(fake.signedPort))
    expect(fake.signedPort).not.toBe(fake.port)
    expect(location.pathname).toMatch(/^\/_signed\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  })

  it('serves the exact bytes of the listing without auth: NDJSON, file_size long, sha256 equal', async () => {
    const res = await rawGet(await signedUrlFor(fake, file.id))
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/x-ndjson')
    expect(Number(res.headers['content-length'])).toBe(file.file_size)
    expect(res.body.length).toBe(file.file_size)
    expect(sha256Hex(res.body)).toBe(file.file_sha256)
    const ids = res.body.toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line).event_id)
    expect(ids).toEqual([...fake.fileEventIds(file.id)])
    expect(new Set(ids)).toEqual(fake.expectedEventIds('CONVERSATION_MESSAGE'))
  })

  it('is immutable: every download returns identical bytes through a fresh URL', async () => {
    const [u1, u2] = [await signedUrlFor(fake, file.id), await signedUrlFor(fake, file.id)]
    expect(u1).not.toBe(u2)
    expect((await rawGet(u1)).body.equals((await rawGet(u2)).body)).toBe(true)
  })

  it('rejects a signed request that carries an Authorization header (403)', async () => {
    const url = await signedUrlFor(fake, file.id)
    const res = await rawGet(url, { authorization: `Bearer ${fake.apiKey}` })
    expect(res.status).toBe(403)
    expect(res.headers['content-type']).toBe('application/xml')
    const signed = fake.requestsTo('signed')
    expect(signed.map((r) => [r.status, r.authorization, r.fileId])).toEqual([[403, true, file.id]])
  })

  it('records that a following fetch() dropped Authorization on the cross-origin redirect', async () => {
    fake.resetRequests()
    const res = await fetch(`${fake.baseUrl}${logsPath(fake)}/${file.id}`, { headers: { authorization: `Bearer ${fake.apiKey}` } })
    expect(res.status).toBe(200)
    expect(sha256Hex(Buffer.from(await res.arrayBuffer()))).toBe(file.file_sha256)
    expect(fake.requests.map((r) => [r.route, r.status, r.authorization])).toEqual([
      ['download', 307, true],
      ['signed', 200, false],
    ])
  })

  it('expires signed URLs after the TTL (403), measured on the fake clock', async () => {
    const url = await signedUrlFor(fake, file.id)
    clock.advance(59_000)
    expect((await rawGet(url)).status).toBe(200)
    clock.advance(1_000)
    const expired = await rawGet(url)
    expect(expired.status).toBe(403)
    expect(expired.body.toString()).toContain('expired')
    // A fresh redirect works again.
    expect((await rawGet(await signedUrlFor(fake, file.id))).status).toBe(200)
  })

  it('issues already-expired URLs while the expireNextSignedUrls fault lasts', async () => {
    fake.expireNextSignedUrls(2)
    expect((await rawGet(await signedUrlFor(fake, file.id))).status).toBe(403)
    expect((await rawGet(await signedUrlFor(fake, file.id))).status).toBe(403)
    expect((await rawGet(await signedUrlFor(fake, file.id))).status).toBe(200)
  })

  it('rejects a tampered or unknown token (403/404)', async () => {
    const url = await signedUrlFor(fake, file.id)
    const tampered = url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
    expect((await rawGet(tampered)).status).toBe(403)
    expect((await rawGet(`${fake.signedOrigin}/_signed/nonsense`)).status).toBe(403)
    expect((await rawGet(`${fake.signedOrigin}/elsewhere`)).status).toBe(404)
  })

  it('answers HEAD with the headers only', async () => {
    const res = await rawGet(await signedUrlFor(fake, file.id), {}, 'HEAD')
    expect(res.status).toBe(200)
    expect(Number(res.headers['content-length'])).toBe(file.file_size)
    expect(res.body.length).toBe(0)
  })

  it('answers 404 for an unknown file id and on the organization path', async () => {
    expect((await apiGet(fake, `${logsPath(fake)}/eclf_missing`)).status).toBe(404)
    expect((await apiGet(fake, `/compliance/organizations/${fake.organizationId}/logs/${file.id}`)).status).toBe(404)
  })

  it('serves explicit events, lines and raw bodies byte for byte', async () => {
    const raw = fake.addLogFile('AUTH_LOG', { raw: '{"event_id":"a"}\n{"event_id":"b"}' })
    const lines = fake.addLogFile('AUTH_LOG', { lines: ['{"event_id":"c"}', '{"event_id":"d"}'] })
    expect((await rawGet(await signedUrlFor(fake, raw.id))).body.toString()).toBe('{"event_id":"a"}\n{"event_id":"b"}')
    expect((await rawGet(await signedUrlFor(fake, lines.id))).body.toString()).toBe('{"event_id":"c"}\n{"event_id":"d"}\n')
    expect(fake.expectedEventIds('AUTH_LOG')).toEqual(new Set(['a', 'b', 'c', 'd']))
  })
})
