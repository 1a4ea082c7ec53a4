// The runtime's extensions of the API: events, runs, quarantine, restart, and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Collecting, startCollecting } from '../../../helpers/collecting.js'

let c: Collecting
let sourceId: number
beforeAll(async () => {
  c = await startCollecting()
  c.fake.addGeneratedFiles('CONVERSATION_MESSAGE', 2, 10)
  c.fake.addLogFile('CONVERSATION_MESSAGE', { generate: { count: 5, seed: 4 } }, { malformedLines: 1, repeatEvents: 2 })
  c.fake.failNext('list', 502, 1)
  sourceId = await c.createSource()
  await c.waitForRun(sourceId)
})
afterAll(async () => {
  await c?.close()
})

describe('GET .../events', () => {
  it('rejects a bad cursor or limit with a 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['after=abc', 'query.after'],
      ['after=-1', 'query.after'],
      ['limit=0', 'query.limit'],
      ['limit=1001', 'query.limit'],
      ['limit=99999999999999999999', 'query.limit'],
      ['after=9999999999999999999999', 'query.after'],
    ]) {
      const res = await c.t.request('GET', `${c.sourcePath(sourceId)}/events?${query}`)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().errors.map((e: any) => e.path)).toContain(path)
    }
  })

  it('returns an empty last page with next null, and 404 for an unknown source', async () => {
    const all = (await c.t.request('GET', `${c.sourcePath(sourceId)}/events?limit=1000`)).json()
    expect(all.events).toHaveLength(25)
    expect(all.next).toBeNull()
    const tail = (await c.t.request('GET', `${c.sourcePath(sourceId)}/events?after=999999999999999`)).json()
    expect(tail).toEqual({ events: [], next: null })
    expect((await c.t.request('GET', `${c.sourcePath(999999999)}/events`)).json().code).toBe('collectors.source.invalid')
  })
})

describe('GET .../runs', () => {
  it('lists runs with origins (files), events stored, duplicates skipped, quarantined and errors', async () => {
    const { runs } = (await c.t.request('GET', `${c.sourcePath(sourceId)}/runs`)).json()
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'succeeded', origins: 3, eventsStored: 25, duplicatesSkipped: 2, quarantined: 1 })
    expect(runs[0].errors).toEqual([expect.objectContaining({ type: 'retried', message: expect.stringContaining('502') })])
    expect(Date.parse(runs[0].finishedAt)).toBeGreaterThanOrEqual(Date.parse(runs[0].startedAt))
  })
})

describe('numeric parameters of the activity routes', () => {
  it('answers offsets and limits past their maxima with a 400 naming the parameter, never a 500', async () => {
    for (const [route, query, path] of [
      ['quarantine', 'offset=99999999999999', 'query.offset'],
      ['quarantine', 'offset=9999999999999999999999', 'query.offset'],
      ['quarantine', 'limit=1001', 'query.limit'],
      ['quarantine', 'limit=99999999999999999999', 'query.limit'],
      ['runs', 'limit=501', 'query.limit'],
      ['runs', 'limit=99999999999999999999', 'query.limit'],
    ]) {
      const res = await c.t.request('GET', `${c.sourcePath(sourceId)}/${route}?${query}`)
      expect(res.statusCode, `${route}?${query}: ${res.body}`).toBe(400)
      expect(res.json().errors.map((e: any) => e.path)).toContain(path)
    }
    const last = await c.t.request('GET', `${c.sourcePath(sourceId)}/quarantine?offset=2147483647&limit=1000`)
    expect(last.statusCode, last.body).toBe(200)
    expect(last.json()).toEqual({ records: [] })
  })

  it('answers ids beyond the bigint range with 404 on every activity route', async () => {
    for (const id of ['9223372036854775808', '99999999999999999999999']) {
      for (const [method, suffix] of [['GET', 'events'], ['GET', 'runs'], ['GET', 'quarantine'], ['POST', 'action/restart']] as const) {
        const res = await c.t.request(method, `/api/v1/collectors/${c.collectorId}/sources/${id}/${suffix}`)
        expect(res.statusCode, `${method} ${suffix} ${id}`).toBe(404)
        expect(res.json().code).toBe('collectors.source.invalid')
        const collector = await c.t.request(method, `/api/v1/collectors/${id}/sources/${sourceId}/${suffix}`)
        expect(collector.statusCode).toBe(404)
        expect(collector.json().code).toBe('collectors.collector.invalid')
      }
    }
  })
})

describe('POST .../action/restart', () => {
  it('answers the source and queues a run; 404 for an unknown source', async () => {
    const res = await c.t.request('POST', `${c.sourcePath(sourceId)}/action/restart`)
    expect(res.statusCode).toBe(200)
    expect(res.json().source.id).toBe(sourceId)
    await c.waitFor(async () => (await c.runs(sourceId)).length === 2 && (await c.runs(sourceId))[0].status !== 'running', 'the restarted run')
    expect((await c.t.request('POST', `${c.sourcePath(999999999)}/action/restart`)).statusCode).toBe(404)
  })
})

describe('GET /metrics', () => {
  it('requires credentials and exposes events, duplicates, run durations, upstream statuses, lag and state per source', async () => {
    expect((await c.t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401)
    const res = await c.t.request('GET', '/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    const text = res.body
    const sid = `source_id="${sourceId}"`
    expect(text).toMatch(new RegExp(`openc2c_events_stored_total\\{${sid},stream="CONVERSATION_MESSAGE"\\} 25`))
    expect(text).toMatch(new RegExp(`openc2c_duplicates_skipped_total\\{${sid},stream="CONVERSATION_MESSAGE"\\} 2`))
    expect(text).toMatch(new RegExp(`openc2c_records_quarantined_total\\{${sid},stream="CONVERSATION_MESSAGE"\\} 1`))
    expect(text).toMatch(new RegExp(`openc2c_run_duration_seconds_count\\{${sid},outcome="succeeded"\\} [12]`))
    expect(text).toMatch(/openc2c_upstream_responses_total\{source_type="ChatGPT Compliance",route="list",status="502"\} 1/)
    expect(text).toMatch(/openc2c_upstream_responses_total\{source_type="ChatGPT Compliance",route="signed",status="200"\} \d+/)
    expect(text).toMatch(new RegExp(`openc2c_files_processed_total\\{${sid},event_type="CONVERSATION_MESSAGE"\\} 3`))
    expect(text).toMatch(new RegExp(`openc2c_source_lag_seconds\\{${sid},source="chatgpt-1"\\} \\d`))
    expect(text).toMatch(new RegExp(`openc2c_source_state\\{${sid},source="chatgpt-1",state="Collecting",error_type=""\\} 1`))
    expect(text).toMatch(new RegExp(`openc2c_source_quarantined_records\\{${sid},source="chatgpt-1"\\} 1`))
    expect(text).not.toContain(c.fake.apiKey)
  })
})
