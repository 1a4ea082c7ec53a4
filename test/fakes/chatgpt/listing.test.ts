import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance, type LogFileInfo } from './fake-compliance.js'
import { generateEvent } from './event-generator.js'
import { apiGet, listLogs, ManualClock, MICROS_Z } from './test-support.js'

const NOW = '2026-08-01T00:00:00Z'
let clock: ManualClock
let fake: FakeCompliance

beforeEach(async () => {
  clock = new ManualClock(NOW)
  fake = await startFakeCompliance({ now: clock.now, rateLimitPerMinute: 0 })
})
afterEach(() => fake.close())

const audit = (endTime: string, id?: string): LogFileInfo =>
  fake.addLogFile('AUDIT_LOG', { generate: { count: 3 } }, { endTime, ...(id ? { id } : {}) })

/** Pages through the listing the way a correct client does and returns every page. */
async function allPages(type: string, after: string, limit: number): Promise<Array<{ data: LogFileInfo[]; has_more: boolean; last_end_time: string | null }>> {
  const pages = []
  let cursor = after
  for (let i = 0; i < 100; i++) {
    const res = await listLogs(fake, { event_type: type, after: cursor, limit: String(limit) })
    expect(res.status).toBe(200)
    pages.push(res.body)
    if (!res.body.has_more) return pages
    cursor = res.body.last_end_time
  }
  throw new Error('listing did not terminate')
}

describe('GET …/logs', () => {
  it('returns file objects with exactly the documented fields', async () => {
    const file = audit('2026-07-31T10:00:00.123456Z')
    const res = await listLogs(fake, { event_type: 'AUDIT_LOG', after: '2026-07-01T00:00:00Z' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(Object.keys(res.body).sort()).toEqual(['data', 'has_more', 'last_end_time'])
    const [listed] = res.body.data
    expect(Object.keys(listed).sort()).toEqual(['end_time', 'event_type', 'file_name', 'file_sha256', 'file_size', 'id'])
    expect(listed).toEqual({
      id: file.id,
      event_type: 'AUDIT_LOG',
      end_time: '2026-07-31T10:00:00.123456Z',
      file_name: 'AUDIT_LOG_2026-07-31T10:00:00.123456+00:00.jsonl',
      file_size: fake.fileBody(file.id).length,
      file_sha256: file.file_sha256,
    })
    expect(listed.id).toMatch(/^eclf_[A-Za-z0-9]+$/)
    expect(listed.file_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(res.body.last_end_time).toBe(listed.end_time)
  })

  it('filters end_time > after strictly, at microsecond precision', async () => {
    const files = ['2026-07-31T10:00:00.000001Z', '2026-07-31T10:00:00.000002Z', '2026-07-31T10:00:00.000999Z', '2026-07-31T10:00:00.001000Z'].map((t) => audit(t))
    const ids = async (after: string): Promise<string[]> => (await listLogs(fake, { event_type: 'AUDIT_LOG', after })).body.data.map((f: LogFileInfo) => f.id)
    expect(await ids('2026-07-31T10:00:00.000001Z')).toEqual(files.slice(1).map((f) => f.id))
    expect(await ids('2026-07-31T10:00:00.000002Z')).toEqual(files.slice(2).map((f) => f.id))
    // Same instant written with an offset and fewer digits.
    expect(await ids('2026-07-31T12:00:00.000999+02:00')).toEqual([files[3]?.id])
    expect(await ids('2026-07-31T10:00:00.001Z')).toEqual([])
    expect(await ids('2026-07-31T10:00:00Z')).toEqual(files.map((f) => f.id))
  })

  it('pages ascending by end_time with limit, has_more and last_end_time; null on the empty page', async () => {
    const files = fake.addGeneratedFiles('AUDIT_LOG', 7, 2, { firstEndTime: '2026-07-30T00:00:00.250000Z', intervalSeconds: 60 })
    const pages = await allPages('AUDIT_LOG', '2026-07-29T00:00:00Z', 3)
    expect(pages.map((p) => p.data.length)).toEqual([3, 3, 1])
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false])
    for (const page of pages) expect(page.last_end_time).toBe(page.data[page.data.length - 1]?.end_time)
    const listed = pages.flatMap((p) => p.data.map((f) => f.id))
    expect(listed).toEqual(files.map((f) => f.id))
    const ends = pages.flatMap((p) => p.data.map((f) => f.end_time))
    expect([...ends].sort()).toEqual(ends)
    for (const end of ends) expect(end).toMatch(MICROS_Z)

    const empty = await listLogs(fake, { event_type: 'AUDIT_LOG', after: pages[2]?.last_end_time as string })
    expect(empty.body).toEqual({ data: [], has_more: false, last_end_time: null })
  })

  it('has_more is false when the last page is exactly full', async () => {
    fake.addGeneratedFiles('AUDIT_LOG', 4, 1, { firstEndTime: '2026-07-30T00:00:00Z' })
    const pages = await allPages('AUDIT_LOG', '2026-07-29T00:00:00Z', 2)
    expect(pages.map((p) => [p.data.length, p.has_more])).toEqual([
      [2, true],
      [2, false],
    ])
  })

  it('breaks end_time ties by id', async () => {
    const b = audit('2026-07-31T00:00:00.500000Z', 'eclf_bbbbbbbb')
    const a = audit('2026-07-31T00:00:00.500000Z', 'eclf_aaaaaaaa')
    const res = await listLogs(fake, { event_type: 'AUDIT_LOG', after: '2026-07-30T00:00:00Z' })
    expect(res.body.data.map((f: LogFileInfo) => f.id)).toEqual([a.id, b.id])
  })

  it('honours before (strictly earlier)', async () => {
    const files = ['2026-07-31T01:00:00.000000Z', '2026-07-31T02:00:00.000000Z', '2026-07-31T03:00:00.000000Z'].map((t) => audit(t))
    const res = await listLogs(fake, { event_type: 'AUDIT_LOG', after: '2026-07-31T00:00:00Z', before: '2026-07-31T03:00:00Z' })
    expect(res.body.data.map((f: LogFileInfo) => f.id)).toEqual([files[0]?.id, files[1]?.id])
    expect(res.body.has_more).toBe(false)
  })

  it('accepts event_type repeated and merges the types in end_time order', async () => {
    const a = audit('2026-07-31T01:00:00.000001Z')
    const b = fake.addLogFile('AUTH_LOG', { generate: { count: 1 } }, { endTime: '2026-07-31T01:00:00.000002Z' })
    const c = audit('2026-07-31T01:00:00.000003Z')
    fake.addLogFile('APP_LOG', { generate: { count: 1 } }, { endTime: '2026-07-31T01:00:00.000004Z' })
    const res = await listLogs(fake, [
      ['event_type', 'AUDIT_LOG'],
      ['event_type', 'AUTH_LOG'],
      ['after', '2026-07-31T00:00:00Z'],
    ])
    expect(res.body.data.map((f: LogFileInfo) => [f.id, f.event_type])).toEqual([
      [a.id, 'AUDIT_LOG'],
      [b.id, 'AUTH_LOG'],
      [c.id, 'AUDIT_LOG'],
    ])
  })

  it('drops files older than the 30-day retention, also as time passes', async () => {
    const old = audit('2026-07-01T00:00:00.000000Z') // 31 days before NOW
    const recent = audit('2026-07-03T00:00:00.000000Z') // 29 days before NOW
    const listed = async (): Promise<string[]> => (await listLogs(fake, { event_type: 'AUDIT_LOG', after: '2026-06-01T00:00:00Z' })).body.data.map((f: LogFileInfo) => f.id)
    expect(await listed()).toEqual([recent.id])
    expect(fake.files('AUDIT_LOG').map((f) => f.id)).toEqual([recent.id])
    expect(fake.files('AUDIT_LOG', { includeExpired: true }).map((f) => f.id)).toEqual([old.id, recent.id])
    expect((await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/logs/${old.id}`)).status).toBe(404)

    clock.advance(2 * 86_400_000)
    expect(await listed()).toEqual([])
    expect(fake.expectedEventIds('AUDIT_LOG').size).toBe(0)
  })

  it('re-lists the boundary file when the inclusive-boundary fault is on', async () => {
    const first = audit('2026-07-31T01:00:00.123456Z')
    const second = audit('2026-07-31T02:00:00.123456Z')
    const after = first.end_time
    expect((await listLogs(fake, { event_type: 'AUDIT_LOG', after })).body.data.map((f: LogFileInfo) => f.id)).toEqual([second.id])
    fake.faults.inclusiveBoundary = true
    expect((await listLogs(fake, { event_type: 'AUDIT_LOG', after })).body.data.map((f: LogFileInfo) => f.id)).toEqual([first.id, second.id])
  })
})

describe('GET …/max_event_time', () => {
  it('reports the newest event timestamp per type and null for a type without files', async () => {
    const events = ['2026-07-31T01:00:00.000007Z', '2026-07-31T05:00:00.654321Z', '2026-07-31T03:00:00.000000Z'].map((timestamp, i) =>
      generateEvent('AUDIT_LOG', i, { timestamp, workspaceId: fake.workspaceId }),
    )
    fake.addLogFile('AUDIT_LOG', events.slice(0, 2), { endTime: '2026-07-31T06:00:00Z' })
    fake.addLogFile('AUDIT_LOG', events.slice(2), { endTime: '2026-07-31T07:00:00Z' })
    const res = await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/max_event_time`, [
      ['event_type', 'AUDIT_LOG'],
      ['event_type', 'AUTH_LOG'],
    ])
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ max_event_time: { AUDIT_LOG: '2026-07-31T05:00:00.654321Z', AUTH_LOG: null } })
  })

  it('requires event_type', async () => {
    const res = await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/max_event_time`)
    expect(res.status).toBe(422)
    expect(res.body.detail[0]).toMatchObject({ loc: ['query', 'event_type'], type: 'missing' })
  })
})

describe('determinism', () => {
  it('the same seed and clock give the same identity, files, bytes and event ids', async () => {
    const build = async (seed: number) => {
      const f = await startFakeCompliance({ seed, now: new ManualClock(NOW).now })
      f.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 4)
      f.addLogFile('AUDIT_LOG', { generate: { count: 5 } }, { lateEvents: 1, malformedLines: 1 })
      return f
    }
    const [a, b, c] = await Promise.all([build(7), build(7), build(8)])
    try {
      expect([b.apiKey, b.workspaceId, b.organizationId]).toEqual([a.apiKey, a.workspaceId, a.organizationId])
      expect(b.files()).toEqual(a.files())
      for (const file of a.files()) expect(b.fileBody(file.id).equals(a.fileBody(file.id))).toBe(true)
      expect(b.expectedEventIds()).toEqual(a.expectedEventIds())
      expect(c.workspaceId).not.toBe(a.workspaceId)
      expect([...c.expectedEventIds()].some((id) => a.expectedEventIds().has(id))).toBe(false)
    } finally {
      await Promise.all([a.close(), b.close(), c.close()])
    }
  })
})
