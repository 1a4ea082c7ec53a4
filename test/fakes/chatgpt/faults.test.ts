import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance, type LogFileInfo } from './fake-compliance.js'
import { recordFacts, splitJsonRecords } from './json-records.js'
import { parseIsoTimestamp } from './timestamps.js'
import { apiGet, listLogs, logsPath, rawGet, sha256Hex, signedUrlFor } from './test-support.js'

let fake: FakeCompliance
const AFTER = '2026-01-01T00:00:00Z'
const listAudit = () => listLogs(fake, { event_type: 'AUDIT_LOG', after: AFTER })
const download = async (id: string) => rawGet(await signedUrlFor(fake, id))
const micros = (t: string): bigint => {
  const parsed = parseIsoTimestamp(t)
  if (!parsed.ok) throw new Error(t)
  return parsed.micros
}

beforeEach(async () => {
  fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
})
afterEach(() => fake.close())

describe('server errors and forced 429', () => {
  it('fails the next N list requests with the chosen status, then recovers', async () => {
    fake.addGeneratedFiles('AUDIT_LOG', 1, 1)
    fake.failNext('list', 503, 2)
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await listAudit()).status)
    expect(statuses).toEqual([503, 503, 200])
    expect(fake.requestsTo('list').map((r) => r.fault)).toEqual(['server_error', 'server_error', undefined])
  })

  it('queues faults per route: 502/504 from the edge are HTML, 500 on the signed route is storage XML', async () => {
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 1)
    fake.failNext('download', 502)
    fake.failNext('download', 504)
    fake.failNext('signed', 500)
    const first = await apiGet(fake, `${logsPath(fake)}/${file?.id}`)
    expect([first.status, first.headers.get('content-type')]).toEqual([502, 'text/html'])
    expect((await apiGet(fake, `${logsPath(fake)}/${file?.id}`)).status).toBe(504)
    expect((await listAudit()).status).toBe(200) // other routes unaffected
    const url = await signedUrlFor(fake, file?.id as string)
    const signed = await rawGet(url)
    expect([signed.status, signed.headers['content-type']]).toEqual([500, 'application/xml'])
    expect((await rawGet(url)).status).toBe(200)
  })

  it('forces 429 with Retry-After on the next N requests of a route', async () => {
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 1)
    fake.rateLimitNext('download', 7, 2)
    for (let i = 0; i < 2; i++) {
      const res = await apiGet(fake, `${logsPath(fake)}/${file?.id}`)
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('7')
      expect(res.body).toEqual({ detail: expect.stringContaining('7 seconds') })
    }
    expect((await apiGet(fake, `${logsPath(fake)}/${file?.id}`)).status).toBe(307)
  })

  it('clearFaults disarms everything', async () => {
    fake.addGeneratedFiles('AUDIT_LOG', 1, 1)
    fake.failNext('list', 500, 5)
    fake.faults.inclusiveBoundary = true
    fake.expireNextSignedUrls(3)
    fake.clearFaults()
    expect((await listAudit()).status).toBe(200)
    expect(fake.faults.inclusiveBoundary).toBe(false)
    expect(fake.faults.expireNextSignedUrls).toBe(0)
  })
})

describe('body faults', () => {
  it('slow bodies arrive complete, in many small writes', async () => {
    const file = fake.addLogFile('AUDIT_LOG', { generate: { count: 4 } })
    fake.slowNext('signed', { chunkBytes: 256, delayMs: 2 })
    const slow = await download(file.id)
    expect(sha256Hex(slow.body)).toBe(file.file_sha256)
    expect(slow.chunks).toBeGreaterThanOrEqual(Math.floor(file.file_size / 256 / 2))
    const fast = await download(file.id)
    expect(fast.chunks).toBeLessThan(slow.chunks)
    expect(fake.requestsTo('signed').map((r) => r.fault)).toEqual(['slow', undefined])
  })

  it('truncated bodies declare the full length, send part, then break the connection', async () => {
    const file = fake.addLogFile('AUDIT_LOG', { generate: { count: 10 } })
    fake.truncateNext('signed', { afterBytes: 1000 })
    const cut = await download(file.id)
    expect(Number(cut.headers['content-length'])).toBe(file.file_size)
    expect(cut.body.length).toBe(1000)
    expect(cut.error).toBeDefined()
    expect(cut.body.equals(fake.fileBody(file.id).subarray(0, 1000))).toBe(true)
    // Default: half the body, and only the next request.
    fake.truncateNext('signed')
    expect((await download(file.id)).body.length).toBe(Math.floor(file.file_size / 2))
    expect((await download(file.id)).body.length).toBe(file.file_size)
  })

  it('truncates the listing body too, so a JSON client sees a broken response', async () => {
    fake.addGeneratedFiles('AUDIT_LOG', 3, 1)
    fake.truncateNext('list')
    await expect(listAudit()).rejects.toThrow()
    expect((await listAudit()).status).toBe(200)
  })
})

describe('content faults', () => {
  it('concatenated JSON: objects back to back as }{ and } { and still every event present', async () => {
    const file = fake.addLogFile('AUDIT_LOG', { generate: { count: 7 } }, { format: 'concatenated' })
    const text = (await download(file.id)).body.toString('utf8')
    expect(text).toContain('}{"event_id"')
    expect(text).toContain('} {"event_id"')
    expect(text.split('\n').some((line) => !isJson(line))).toBe(true)
    expect(splitJsonRecords(text).map((r) => recordFacts(r).eventId)).toEqual([...fake.fileEventIds(file.id)])
    expect(file.eventCount).toBe(7)
  })

  it('missing final newline', async () => {
    const withNewline = await download(fake.addLogFile('AUDIT_LOG', { generate: { count: 3 } }).id)
    const without = await download(fake.addLogFile('AUDIT_LOG', { generate: { count: 3 } }, { finalNewline: false }).id)
    expect(withNewline.body.at(-1)).toBe(0x0a)
    expect(without.body.at(-1)).toBe(0x7d)
    expect(without.body.toString().split('\n').map((l) => JSON.parse(l).event_id)).toHaveLength(3)
  })

  it('repeats already-published events byte for byte in a later file', async () => {
    const first = fake.addLogFile('AUDIT_LOG', { generate: { count: 5 } })
    const second = fake.addLogFile('AUDIT_LOG', { generate: { count: 3 } }, { repeatEvents: 2 })
    const firstLines = lines((await download(first.id)).body)
    const secondLines = lines((await download(second.id)).body)
    expect(secondLines.slice(0, 2)).toEqual(firstLines.slice(-2))
    expect(second.repeatedEventIds).toEqual(firstLines.slice(-2).map((l) => JSON.parse(l).event_id))
    expect(second.eventCount).toBe(5)
    expect(fake.expectedEventIds('AUDIT_LOG').size).toBe(8)
  })

  it('repeats chosen events by event_id, from any earlier file', async () => {
    const generated = fake.addLogFile('AUDIT_LOG', { generate: { count: 4 } })
    const explicit = fake.addLogFile('AUTH_LOG', { lines: ['{"event_id":"evt-explicit","type":"AUTH_LOG"}'] })
    const target = [...fake.fileEventIds(generated.id)][1] as string
    const later = fake.addLogFile('AUDIT_LOG', { generate: { count: 1 } }, { repeatEvents: [target, 'evt-explicit'] })
    const laterLines = lines((await download(later.id)).body)
    expect(laterLines[0]).toBe(lines((await download(generated.id)).body)[1])
    expect(laterLines[1]).toBe(lines((await download(explicit.id)).body)[0])
    expect(later.repeatedEventIds).toEqual([target, 'evt-explicit'])
    expect(() => fake.addLogFile('AUDIT_LOG', [], { repeatEvents: ['no-such-event'] })).toThrow(/no published event/)
  })

  it('late events: a later file holds events older than the previous file end_time', async () => {
    const first = fake.addLogFile('AUDIT_LOG', { generate: { count: 2 } })
    const second = fake.addLogFile('AUDIT_LOG', { generate: { count: 2 } }, { lateEvents: 3 })
    expect(second.lateEventIds).toHaveLength(3)
    const events = lines((await download(second.id)).body).map((l) => JSON.parse(l))
    const late = events.filter((e) => second.lateEventIds.includes(e.event_id))
    expect(late).toHaveLength(3)
    for (const event of late) expect(micros(event.timestamp)).toBeLessThan(micros(first.end_time))
    for (const id of second.lateEventIds) expect(fake.expectedEventIds().has(id)).toBe(true)
  })

  it('malformed lines: one invalid JSON, one without event_id, neither counted as an event', async () => {
    const file = fake.addLogFile('AUDIT_LOG', { generate: { count: 3 } }, { malformedLines: 2 })
    const body = lines((await download(file.id)).body)
    expect(body).toHaveLength(5)
    expect(body.filter((l) => !isJson(l))).toHaveLength(1)
    expect(body.filter((l) => isJson(l) && JSON.parse(l).event_id === undefined)).toHaveLength(1)
    expect(file.malformedLineCount).toBe(2)
    expect(file.eventCount).toBe(3)
    expect(fake.expectedEventIds('AUDIT_LOG').size).toBe(3)
  })

  it('wrong sha256 in the listing, at publication or later', async () => {
    const bad = fake.addLogFile('AUDIT_LOG', { generate: { count: 2 } }, { wrongSha256: true })
    const good = fake.addLogFile('AUDIT_LOG', { generate: { count: 2 } })
    const listed = (await listAudit()).body.data as LogFileInfo[]
    const body = (await download(bad.id)).body
    expect(listed.find((f) => f.id === bad.id)?.file_sha256).not.toBe(sha256Hex(body))
    expect(listed.find((f) => f.id === bad.id)?.file_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(listed.find((f) => f.id === good.id)?.file_sha256).toBe(sha256Hex((await download(good.id)).body))
    fake.corruptListingSha256(good.id)
    const relisted = (await listAudit()).body.data as LogFileInfo[]
    expect(relisted.find((f) => f.id === good.id)?.file_sha256).not.toBe(good.file_sha256)
  })
})

function lines(body: Buffer): string[] {
  return body.toString('utf8').split('\n').filter((l) => l !== '')
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
