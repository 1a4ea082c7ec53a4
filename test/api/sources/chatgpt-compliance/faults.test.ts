// Each fault switch of the fake Logs Platform drives a run; afterwards the stored events must be
// exactly the published set (no loss, no duplicate), and the source must say what happened.
import { afterEach, describe, expect, it } from 'vitest'
import { type Collecting, expectExactlyStored, makeDue, startCollecting } from '../../../helpers/collecting.js'

let c: Collecting
afterEach(async () => {
  await c?.close()
})


describe('upstream data faults', () => {
  it('boundary re-listing: files at end_time == after are listed again and skipped', async () => {
    c = await startCollecting({ fake: { faults: { inclusiveBoundary: true } } })
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 10)
    const sourceId = await c.createSource()
    const first = await c.waitForRun(sourceId)
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 10)
    c.fake.resetRequests()
    await makeDue(c, sourceId)
    const second = await c.waitForRun(sourceId, first.id)
    // The re-listed boundary file is not downloaded again.
    expect(c.fake.requestsTo('signed')).toHaveLength(2)
    expect(second).toMatchObject({ status: 'succeeded', origins: 2, eventsStored: 20, duplicatesSkipped: 0 })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('files sharing one end_time: all are collected, even across an exclusive boundary', async () => {
    c = await startCollecting()
    const endTime = '2026-11-20T10:00:00.123456Z'
    c.fake.addLogFile('AUDIT_LOG', { generate: { count: 5, seed: 1 } }, { endTime })
    c.fake.addLogFile('AUDIT_LOG', { generate: { count: 5, seed: 2 } }, { endTime })
    c.fake.addLogFile('AUDIT_LOG', { generate: { count: 5, seed: 3 } }, { endTime: '2026-11-20T10:00:00.123457Z' })
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'], pollingIntervalHour: '24h' })
    expect(await c.waitForRun(sourceId)).toMatchObject({ status: 'succeeded', origins: 3, eventsStored: 15 })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('AUDIT_LOG'))
  })

  it('the same event_id in several files is stored once and counted as a duplicate', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CODEX_LOG', 2, 10)
    c.fake.addLogFile('CODEX_LOG', { generate: { count: 10, seed: 99 } }, { repeatEvents: 4 })
    const sourceId = await c.createSource({ enabledEventType: ['CODEX'] })
    const run = await c.waitForRun(sourceId)
    expect(run).toMatchObject({ status: 'succeeded', origins: 3, eventsStored: 30, duplicatesSkipped: 4 })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('CODEX_LOG'))
  })

  it('late events (timestamps older than files already read) are kept', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('AUTH_LOG', 2, 10)
    const sourceId = await c.createSource({ enabledEventType: ['AUTH'] })
    const first = await c.waitForRun(sourceId)
    const late = c.fake.addLogFile('AUTH_LOG', { generate: { count: 5, seed: 7 } }, { lateEvents: 3 })
    expect(late.lateEventIds.length).toBe(3)
    await makeDue(c, sourceId)
    await c.waitForRun(sourceId, first.id)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('AUTH_LOG'))
    const stored = await c.storedEventIds(sourceId)
    for (const id of late.lateEventIds) expect(stored.ids.has(id)).toBe(true)
  })

  it('concatenated JSON objects and a missing final newline parse into every event', async () => {
    c = await startCollecting()
    c.fake.addLogFile('APP_LOG', { generate: { count: 12, seed: 5 } }, { format: 'concatenated' })
    c.fake.addLogFile('APP_LOG', { generate: { count: 12, seed: 6 } }, { finalNewline: false })
    c.fake.addLogFile('APP_LOG', { generate: { count: 12, seed: 8 } }, { format: 'concatenated', finalNewline: false })
    const sourceId = await c.createSource({ enabledEventType: ['APP'] })
    expect(await c.waitForRun(sourceId)).toMatchObject({ status: 'succeeded', origins: 3, eventsStored: 36, quarantined: 0 })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('APP_LOG'))
  })

  it('malformed lines are quarantined with file id, line number and raw text; the rest is stored and the source keeps going', async () => {
    c = await startCollecting()
    const bad = c.fake.addLogFile('AUDIT_LOG', { generate: { count: 10, seed: 11 } }, { malformedLines: ['invalid_json', 'missing_event_id'] })
    c.fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    const run = await c.waitForRun(sourceId)
    expect(run).toMatchObject({ status: 'succeeded', origins: 2, eventsStored: 15, quarantined: 2 })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('AUDIT_LOG'))
    const source = await c.source(sourceId)
    expect(source.state.state).toBe('Collecting')
    expect(source.collection.quarantinedRecords).toBe(2)
    const { records } = (await c.t.request('GET', `${c.sourcePath(sourceId)}/quarantine`)).json()
    expect(records).toHaveLength(2)
    const lines = c.fake.fileBody(bad.id).toString('utf8').split('\n')
    for (const r of records) {
      expect(r.stream).toBe('AUDIT_LOG')
      expect(r.origin).toBe(bad.id)
      expect(r.raw).toBe(lines[Number(/^line (\d+)$/.exec(r.position)![1]) - 1])
      expect(['not valid JSON', 'no event_id']).toContain(r.reason)
    }
  })

  it('NUL in an event_id or in a line quarantines that record (NUL stored escaped) and the source keeps going', async () => {
    c = await startCollecting()
    const lines = [
      '{"event_id":"before","type":"AUDIT_LOG"}',
      // JSON text with an escaped NUL (six ASCII characters) in the id: no usable key.
      String.raw`{"event_id":"nul\u0000id","type":"AUDIT_LOG"}`,
      // The same escape inside another string is an ordinary event, kept byte for byte.
      String.raw`{"event_id":"nul-in-text","type":"AUDIT_LOG","text":"a\u0000b"}`,
      // A literal NUL byte: not JSON, and not storable in a text column as is.
      '{"event_id":"nul-byte","type":"AUDIT_LOG","text":"a\u0000b"}',
      '{"event_id":"after","type":"AUDIT_LOG"}',
    ]
    const bad = c.fake.addLogFile('AUDIT_LOG', { raw: `${lines.join('\n')}\n` })
    const [good] = c.fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    expect(await c.waitForRun(sourceId)).toMatchObject({ status: 'succeeded', origins: 2, eventsStored: 8, quarantined: 2 })
    await expectExactlyStored(c, sourceId, new Set(['before', 'nul-in-text', 'after', ...c.fake.fileEventIds(good!.id)]))
    const source = await c.source(sourceId)
    expect(source.state.state).toBe('Collecting')
    expect(source.collection.quarantinedRecords).toBe(2)
    const { records } = (await c.t.request('GET', `${c.sourcePath(sourceId)}/quarantine`)).json()
    expect(records.map((r: any) => [r.origin, r.position, r.reason, r.raw])).toEqual([
      [bad.id, 'line 2', 'event_id contains a NUL character', lines[1]],
      [bad.id, 'line 4', 'not valid JSON', String.raw`{"event_id":"nul-byte","type":"AUDIT_LOG","text":"a\u0000b"}`],
    ])
    const { events } = (await c.t.request('GET', `${c.sourcePath(sourceId)}/events?limit=1000`)).json()
    expect(events.find((e: any) => e.id === 'nul-in-text').event.text).toBe('a\u0000b')
  })

  it('two malformed objects on one line are two quarantined records, told apart by their position', async () => {
    c = await startCollecting()
    const line = '{"event_id":"first"}{"no":"event_id"} {"event_id":""}{"event_id":"last"}'
    const bad = c.fake.addLogFile('APP_LOG', { raw: `{"event_id":"alone"}\n${line}\n` })
    const sourceId = await c.createSource({ enabledEventType: ['APP'] })
    expect(await c.waitForRun(sourceId)).toMatchObject({ status: 'succeeded', origins: 1, eventsStored: 3, quarantined: 2 })
    await expectExactlyStored(c, sourceId, new Set(['alone', 'first', 'last']))
    expect((await c.source(sourceId)).collection.quarantinedRecords).toBe(2)
    const { records } = (await c.t.request('GET', `${c.sourcePath(sourceId)}/quarantine`)).json()
    expect(records.map((r: any) => [r.origin, r.position, r.reason, r.raw])).toEqual([
      [bad.id, 'line 2, object 2', 'no event_id', '{"no":"event_id"}'],
      [bad.id, 'line 2, object 3', 'no event_id', '{"event_id":""}'],
    ])
  })
})

describe('upstream transport faults', () => {
  it.each(['list', 'download', 'signed'] as const)('5xx on %s is retried and the set is exact', async (route) => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 10)
    c.fake.failNext(route, 503, 2)
    c.fake.failNext(route, 500, 1)
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('succeeded')
    expect(run.errors.filter((e: any) => e.type === 'retried')).toHaveLength(3)
    expect(c.fake.requestsTo(route).filter((r) => r.status >= 500)).toHaveLength(3)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('slow and truncated bodies: slow ones complete, truncated ones are downloaded again', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 40)
    c.fake.slowNext('signed', { chunkBytes: 512, delayMs: 5 }, 1)
    c.fake.truncateNext('signed', {}, 2)
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('succeeded')
    expect(run.errors.some((e: any) => /broke after|bytes, the listing says/.test(e.message))).toBe(true)
    expect(c.fake.requestsTo('signed').length).toBe(5)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('an expired signed URL is refreshed through the API', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 10)
    c.fake.expireNextSignedUrls(2)
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('succeeded')
    expect(c.fake.requestsTo('signed', 403)).toHaveLength(2)
    expect(c.fake.requestsTo('download').length).toBe(4)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('429 waits for Retry-After before asking again', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 5)
    c.fake.rateLimitNext('list', 1, 1)
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('succeeded')
    const lists = c.fake.requestsTo('list')
    expect(lists[0]!.status).toBe(429)
    expect(lists[1]!.status).toBe(200)
    // The recorded request times show the wait, not the test's own duration.
    expect(Date.parse(lists[1]!.at) - Date.parse(lists[0]!.at)).toBeGreaterThanOrEqual(1000)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('a sha256 that never matches fails the run as ThirdPartyGeneric without skipping the file', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 5)
    const corrupt = c.fake.addLogFile('CONVERSATION_MESSAGE', { generate: { count: 5, seed: 3 } }, { wrongSha256: true })
    const after = c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 5)[0]!
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('failed')
    const source = await c.source(sourceId)
    expect(source.state).toMatchObject({ state: 'Error', errorType: 'ThirdPartyGeneric', errorCode: 'sha256.mismatch' })
    expect(source.state.errorInfo).toContain(corrupt.id)
    // Only the file before the corrupt one is stored; the one after waits behind it.
    const stored = await c.storedEventIds(sourceId)
    expect(stored.ids.size).toBe(5)
    expect(c.fake.requestsTo('signed').some((r) => r.fileId === after.id)).toBe(false)
    // It is retried (ThirdPartyGeneric), on the run-retry backoff.
    await c.waitForRun(sourceId, run.id)
  })
})

describe('credentials and configuration', () => {
  it('401 sets Error/ThirdPartyConfig and stops retrying until a restart; then it collects', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 5)
    c.fake.revokeKey()
    const sourceId = await c.createSource()
    const run = await c.waitForRun(sourceId)
    expect(run.status).toBe('failed')
    expect((await c.source(sourceId)).state).toMatchObject({ state: 'Error', errorType: 'ThirdPartyConfig', errorCode: 'http.401' })
    expect((await c.source(sourceId)).alive).toBe(false)
    // No retry: several scheduler polls pass (with a 50 ms run-retry base) and nothing is asked upstream.
    const requests = c.fake.requests.length
    await new Promise((r) => setTimeout(r, 1000))
    expect(c.fake.requests.length).toBe(requests)
    expect(await c.runs(sourceId)).toHaveLength(1)

    c.fake.restoreKey()
    await c.restart(sourceId)
    const second = await c.waitForRun(sourceId, run.id)
    expect(second.status).toBe('succeeded')
    expect((await c.source(sourceId)).state).toEqual({ state: 'Collecting' })
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds())
  })

  it('403 (a scope removed) is ThirdPartyConfig too, and fixing the config (PUT) clears it', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    c.fake.revokeScope('AUDIT_LOG')
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    const run = await c.waitForRun(sourceId)
    expect((await c.source(sourceId)).state).toMatchObject({ state: 'Error', errorType: 'ThirdPartyConfig', errorCode: 'http.403' })
    c.fake.grantScope('AUDIT_LOG')
    const current = await c.t.request('GET', c.sourcePath(sourceId))
    const body = { source: { ...current.json().source, config: { ...current.json().source.config, description: 'scope granted' } } }
    const put = await c.t.request('PUT', c.sourcePath(sourceId), body, { 'if-match': current.headers.etag as string })
    expect(put.statusCode).toBe(200)
    expect(put.json().source.state).toEqual({ state: 'Pending' })
    expect((await c.waitForRun(sourceId, run.id)).status).toBe('succeeded')
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('AUDIT_LOG'))
  })

  it('a config update applies from the next run (a newly enabled type is collected)', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 1, 5)
    c.fake.addGeneratedFiles('CODEX_SECURITY_LOG', 1, 5)
    const sourceId = await c.createSource()
    const first = await c.waitForRun(sourceId)
    await expectExactlyStored(c, sourceId, c.fake.expectedEventIds('CONVERSATION_MESSAGE'))
    const current = await c.t.request('GET', c.sourcePath(sourceId))
    const source = current.json().source
    const put = await c.t.request('PUT', c.sourcePath(sourceId), { source: { ...source, config: { ...source.config, enabledEventType: ['CONVERSATION', 'CODEX_SECURITY'] } } }, { 'if-match': current.headers.etag as string })
    expect(put.statusCode).toBe(200)
    await c.restart(sourceId)
    await c.waitForRun(sourceId, first.id)
    await expectExactlyStored(c, sourceId, new Set([...c.fake.expectedEventIds('CONVERSATION_MESSAGE'), ...c.fake.expectedEventIds('CODEX_SECURITY_LOG')]))
  })

  it('deleting a source stops its run and removes what it stored', async () => {
    c = await startCollecting()
    c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 4, 50)
    c.fake.slowNext('signed', { chunkBytes: 256, delayMs: 20 }, 4)
    const sourceId = await c.createSource()
    await c.waitFor(async () => c.fake.requestsTo('signed').length > 0, 'the first download')
    expect((await c.t.request('DELETE', c.sourcePath(sourceId))).statusCode).toBe(200)
    // The run notices at its next lease renewal or commit, and asks nothing more upstream.
    await c.waitFor(async () => (c.t.service.scheduler?.runningSources.length ?? 0) === 0, 'the run to stop', 15_000)
    const requests = c.fake.requests.length
    await new Promise((r) => setTimeout(r, 500))
    expect(c.fake.requests.length).toBe(requests)
    const db = c.t.service.database.db
    expect(await db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).execute()).toEqual([])
    expect(await db.selectFrom('source_progress').select('stream').where('source_id', '=', sourceId).execute()).toEqual([])
  })
})
