import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { startFakeSplunkHec, type FakeSplunkHec, type FakeSplunkHecOptions } from './splunk-hec.js'
import { CHANNEL, events, hecEnvelope, ManualClock, send, type ClientResult } from './test-support.js'

let hec: FakeSplunkHec
afterEach(() => hec.close())

const start = async (opts: FakeSplunkHecOptions = {}): Promise<FakeSplunkHec> => {
  hec = await startFakeSplunkHec(opts)
  return hec
}

function post(body: string | Buffer, headers: Record<string, string> = {}, path = '/services/collector/event'): Promise<ClientResult> {
  return send(`${hec.url}${path}`, { headers: { authorization: `Splunk ${hec.token}`, ...headers }, body })
}

function poll(ids: unknown, channel: string | null = CHANNEL, headers: Record<string, string> = {}): Promise<ClientResult> {
  const query = channel === null ? '' : `?channel=${channel}`
  return send(`${hec.url}/services/collector/ack${query}`, { headers: { authorization: `Splunk ${hec.token}`, ...headers }, body: JSON.stringify({ acks: ids }) })
}

const two = events('e', 2)
const batch = (list = two): string => list.map((e) => hecEnvelope(e)).join('')

describe('event endpoint', () => {
  it('takes envelopes back to back, plain or gzip, and stores each event once', async () => {
    await start()
    const plain = await post(batch())
    expect([plain.status, plain.json]).toEqual([200, { text: 'Success', code: 0 }])
    const spaced = await post(`${hecEnvelope({ id: 'x-1' })}\n  ${hecEnvelope({ id: 'x-2' })}\r\n`)
    expect(spaced.status).toBe(200)
    const zipped = await post(gzipSync(batch(events('z', 3))), { 'content-encoding': 'gzip' })
    expect(zipped.status).toBe(200)
    expect(hec.acceptedEvents().map((e) => e.id)).toEqual(['e-0', 'e-1', 'x-1', 'x-2', 'z-0', 'z-1', 'z-2'])
    expect(hec.envelopes[0]).toMatchObject({ requestSeq: 1, position: 0, stored: true, envelope: { source: 'openc2c', sourcetype: 'chatgpt:compliance', time: 1767225600.123 } })
    expect(hec.requests[2]).toMatchObject({ headers: { authorization: 'Splunk [redacted]', 'content-encoding': 'gzip' }, storedEvents: 3 })
    expect(hec.requests[2]?.decodedBytes).toBeGreaterThan(hec.requests[2]?.bodyBytes ?? Infinity)
    expect(hec.violations).toEqual([])
  })

  it('is not fooled by braces, brackets and escaped quotes inside strings', async () => {
    await start()
    const tricky = { id: 'q-1', text: 'a } b { c ] [ "quoted" \\ } \\"' }
    const res = await post(hecEnvelope(tricky) + hecEnvelope({ id: 'q-2' }))
    expect(res.json).toEqual({ text: 'Success', code: 0 })
    expect(hec.acceptedEvents().map((e) => e.event)).toEqual([tricky, { id: 'q-2' }])
  })

  it('answers the /services/collector and /event/1.0 aliases the same way', async () => {
    await start()
    expect((await post(batch(), {}, '/services/collector')).status).toBe(200)
    expect((await post(batch(), {}, '/services/collector/event/1.0')).status).toBe(200)
    expect(hec.acceptedEvents()).toHaveLength(4)
  })

  it.each([
    ['no Authorization', {}, 401, 2, 'Token is required'],
    ['another scheme', { authorization: 'Bearer abc' }, 401, 3, 'Invalid authorization'],
    ['an unknown token', { authorization: 'Splunk 00000000-0000-0000-0000-000000000000' }, 403, 4, 'Invalid token'],
  ])('refuses %s', async (_label, headers, status, code, text) => {
    await start()
    const res = await send(`${hec.url}/services/collector/event`, { headers, body: batch() })
    expect([res.status, res.json]).toEqual([status, { text, code }])
    expect(hec.acceptedEvents()).toEqual([])
    expect(hec.requests[0]?.rejection).toBe(text)
  })

  it('refuses a disabled token (403 code 1) and query-string tokens (400 code 16)', async () => {
    await start()
    hec.disableToken()
    expect((await post(batch())).json).toEqual({ text: 'Token disabled', code: 1 })
    hec.disableToken(false)
    const query = await send(`${hec.url}/services/collector/event?token=${hec.token}`, { body: batch() })
    expect([query.status, query.json]).toEqual([400, { text: 'Query string authorization is not enabled', code: 16 }])
    expect((await post(batch())).status).toBe(200)
  })

  it.each([
    ['an empty body', '', 400, { text: 'No data', code: 5 }],
    ['whitespace only', ' \n ', 400, { text: 'No data', code: 5 }],
    ['an envelope without event', `${hecEnvelope({ id: 'ok' })}{"time":1,"source":"s","sourcetype":"t"}`, 400, { text: 'Event field is required', code: 12, 'invalid-event-number': 1 }],
    ['a blank event', `{"time":1,"event":"  "}`, 400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': 0 }],
    ['broken JSON', `${hecEnvelope({ id: 'ok' })}{"event": {`, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }],
    ['a non-object between envelopes', `${hecEnvelope({ id: 'ok' })} [1,2]`, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }],
    ['a time that is not epoch seconds', `{"time":"2026-01-01T00:00:00Z","event":{"id":"a"}}`, 400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 }],
    ['a nested indexed field', `{"time":1,"fields":{"a":{"b":"c"}},"event":{"id":"a"}}`, 400, { text: 'Error in handling indexed fields', code: 15, 'invalid-event-number': 0 }],
  ])('refuses %s with Splunk’s code', async (_label, body, status, json) => {
    await start()
    const res = await post(body)
    expect([res.status, res.json]).toEqual([status, json])
  })

  it('keeps the envelopes before the first bad one, as Splunk stops there', async () => {
    await start()
    const res = await post(`${batch(events('ok', 2))}{"nope":true}${hecEnvelope({ id: 'after' })}`)
    expect(res.json).toEqual({ text: 'Event field is required', code: 12, 'invalid-event-number': 2 })
    expect(hec.acceptedEvents().map((e) => e.id)).toEqual(['ok-0', 'ok-1'])
  })

  it('refuses the events refuseEvents names, as many times as asked', async () => {
    await start()
    hec.refuseEvents(['ok-1'], { times: 2 })
    const list = events('ok', 3)
    for (let i = 0; i < 2; i++) {
      const res = await post(batch(list))
      expect([res.status, res.json]).toEqual([400, { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }])
    }
    expect((await post(batch(list))).status).toBe(200)
    expect(hec.acceptedEvents().map((e) => e.id)).toEqual(['ok-0', 'ok-0', 'ok-0', 'ok-1', 'ok-2'])
  })

  it('refuses an index the token may not write to (400 code 7)', async () => {
    await start({ allowedIndexes: ['compliance'] })
    expect((await post(hecEnvelope({ id: 'a' }, { index: 'compliance' }))).status).toBe(200)
    const res = await post(hecEnvelope({ id: 'b' }, { index: 'main' }))
    expect([res.status, res.json]).toEqual([400, { text: 'Incorrect index', code: 7, 'invalid-event-number': 0 }])
  })

  it('refuses a body that is not gzip although it says so', async () => {
    await start()
    const res = await post('not gzip at all', { 'content-encoding': 'gzip' })
    expect([res.status, res.json?.code]).toEqual([400, 6])
  })

  it('lists what Splunk would take but the delivery contract forbids', async () => {
    await start()
    const body = [
      JSON.stringify({ event: { id: 'a' } }),
      JSON.stringify({ time: 1767225600123, source: 's', sourcetype: 't', event: { id: 'b' } }),
      JSON.stringify({ time: '1767225600', source: 's', sourcetype: 't', fields: { n: 3, list: ['x'] }, event: 'text' }),
    ].join('')
    expect((await post(body)).status).toBe(200)
    expect(hec.violations.map((v) => `${v.rule} ${v.detail}`)).toEqual([
      'hec.time envelope 0: time is undefined, not a number of epoch seconds',
      'hec.source envelope 0: source is missing',
      'hec.sourcetype envelope 0: sourcetype is missing',
      'hec.time envelope 1: time 1767225600123 looks like milliseconds',
      'hec.time envelope 2: time is "1767225600", not a number of epoch seconds',
      'hec.fields envelope 2: fields.n is not a string',
      'hec.fields envelope 2: fields.list is not a string',
      'hec.event envelope 2: event is not an object',
    ])
  })

  it('answers 404 off the collector paths and 405 to a GET', async () => {
    await start()
    const raw = await post('x', {}, '/services/collector/raw')
    expect([raw.status, raw.json]).toEqual([404, { text: 'The requested URL was not found on this server.', code: 404 }])
    expect((await send(`${hec.url}/services/collector/event`, { method: 'GET' })).status).toBe(405)
    expect(hec.requestsTo('unmatched')).toHaveLength(1)
  })
})

describe('indexer acknowledgement', () => {
  it('needs a channel (code 10) that is a GUID (code 11) on every event request', async () => {
    await start({ acks: true })
    expect((await post(batch())).json).toEqual({ text: 'Data channel is missing', code: 10 })
    expect((await post(batch(), { 'x-splunk-request-channel': 'not-a-guid' })).json).toEqual({ text: 'Invalid data channel', code: 11 })
    expect(hec.acceptedEvents()).toEqual([])
  })

  it('answers ackIds counting from 0 per channel, and polls answer true', async () => {
    await start({ acks: true })
    const other = '11111111-2222-4333-8444-555555555555'
    const answers = [
      (await post(batch(), { 'x-splunk-request-channel': CHANNEL })).json,
      (await post(batch(), { 'x-splunk-request-channel': CHANNEL })).json,
      (await post(batch(), { 'x-splunk-request-channel': other })).json,
    ]
    expect(answers).toEqual([
      { text: 'Success', code: 0, ackId: 0 },
      { text: 'Success', code: 0, ackId: 1 },
      { text: 'Success', code: 0, ackId: 0 },
    ])
    const res = await poll([0, 1, 7])
    expect([res.status, res.json]).toEqual([200, { acks: { '0': true, '1': true, '7': false } }])
    expect(hec.acks.map((a) => [a.channel === CHANNEL, a.ackId, a.confirmed])).toEqual([
      [true, 0, true],
      [true, 1, true],
      [false, 0, false],
    ])
    expect(hec.envelopes.map((e) => e.ackId)).toEqual([0, 0, 1, 1, 0, 0])
  })

  it('notes a channel sent in the query instead of the header', async () => {
    await start({ acks: true })
    const res = await post(batch(), {}, `/services/collector/event?channel=${CHANNEL}`)
    expect(res.json).toEqual({ text: 'Success', code: 0, ackId: 0 })
    expect(hec.violations.map((v) => v.rule)).toEqual(['hec.channel_header'])
  })

  it('ack polls: channel required, body checked, and code 14 when acks are off', async () => {
    await start({ acks: true })
    expect((await poll([0], null)).json).toEqual({ text: 'Data channel is missing', code: 10 })
    expect((await poll([0], 'nope')).json).toEqual({ text: 'Invalid data channel', code: 11 })
    expect((await poll(['0'])).json).toEqual({ text: 'Invalid data format', code: 6 })
    expect((await poll([0], CHANNEL, { authorization: 'Splunk wrong' })).status).toBe(403)
    expect((await poll([0], null, { 'x-splunk-request-channel': CHANNEL })).status).toBe(200)
    await hec.close()
    await start({ acks: false })
    expect((await poll([0])).json).toEqual({ text: 'ACK is disabled', code: 14 })
    expect((await post(batch())).json).toEqual({ text: 'Success', code: 0 })
  })

  it('late acks turn true only once their delay has passed', async () => {
    const clock = new ManualClock()
    await start({ acks: true, now: clock.now })
    hec.ackLateNext(30_000)
    await post(batch(), { 'x-splunk-request-channel': CHANNEL })
    await post(batch(), { 'x-splunk-request-channel': CHANNEL })
    expect((await poll([0, 1])).json).toEqual({ acks: { '0': false, '1': true } })
    clock.advance(29_999)
    expect((await poll([0])).json).toEqual({ acks: { '0': false } })
    clock.advance(1)
    expect((await poll([0])).json).toEqual({ acks: { '0': true } })
  })

  it('false-for-N acks answer false to their first N polls', async () => {
    await start({ acks: true })
    hec.ackFalseForNext(2)
    await post(batch(), { 'x-splunk-request-channel': CHANNEL })
    const seen = []
    for (let i = 0; i < 3; i++) seen.push((await poll([0])).json.acks['0'])
    expect(seen).toEqual([false, false, true])
    expect(hec.acks[0]).toMatchObject({ polls: 3, confirmed: true, plan: { kind: 'false_for', polls: 2 } })
  })

  it('lost acks never turn true; not indexed, their events are gone; indexed, a resend duplicates them', async () => {
    await start({ acks: true })
    hec.ackLostNext(1)
    hec.ackLostNext(1, { indexed: true })
    await post(batch(events('dropped', 1)), { 'x-splunk-request-channel': CHANNEL })
    await post(batch(events('kept', 1)), { 'x-splunk-request-channel': CHANNEL })
    await post(batch(events('kept', 1)), { 'x-splunk-request-channel': CHANNEL })
    for (let i = 0; i < 3; i++) expect((await poll([0, 1, 2])).json).toEqual({ acks: { '0': false, '1': false, '2': true } })
    expect(hec.acceptedEvents().map((e) => e.id)).toEqual(['kept-0', 'kept-0'])
    expect(hec.envelopes.map((e) => e.stored)).toEqual([false, true, true])
  })
})

describe('health endpoint', () => {
  it('reports healthy (code 17) without a token, and the unhealthy states as 503', async () => {
    await start()
    const get = (headers: Record<string, string> = {}): Promise<ClientResult> =>
      send(`${hec.url}/services/collector/health`, { method: 'GET', headers })
    expect([(await get()).status, (await get()).json]).toEqual([200, { text: 'HEC is healthy', code: 17 }])
    hec.setHealth('queues_full')
    expect([(await get()).status, (await get()).json]).toEqual([503, { text: 'HEC is unhealthy, queues are full', code: 18 }])
    hec.setHealth('ack_unavailable')
    expect((await get()).json.code).toBe(19)
    hec.setHealth('healthy')
    expect((await get({ authorization: 'Splunk wrong' })).json).toEqual({ text: 'Invalid token', code: 21 })
    expect((await send(`${hec.url}/services/collector/health/1.0`, { method: 'GET' })).status).toBe(200)
  })
})

describe('faults in HEC shapes', () => {
  it('503 is "Server is busy" (9), 500 "Internal server error" (8), 429 code 26, 401 code 3', async () => {
    await start()
    hec.faults.failNext(1, { status: 503 }).failNext(1, { status: 500 }).throttleNext(1, { retryAfterSeconds: 3 }).unauthorizedNext()
    const answers = []
    for (let i = 0; i < 4; i++) {
      const res = await post(batch())
      answers.push([res.status, res.json?.code])
    }
    expect(answers).toEqual([
      [503, 9],
      [500, 8],
      [429, 26],
      [401, 3],
    ])
  })
})
