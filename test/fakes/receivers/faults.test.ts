// The shared fault switches, on every fake: each answers in its own shape, and the hang / reset / delay
// faults behave the same everywhere.

import { afterEach, describe, expect, it } from 'vitest'
import { startFakeElasticsearch } from './elasticsearch.js'
import type { ReceiverOptions } from './fake-receiver.js'
import { startFakeSplunkHec } from './splunk-hec.js'
import { startFakeSumoHttp } from './sumo-http.js'
import { deliver, eventually, events, send, type AnyFake } from './test-support.js'
import { startFakeWebhook } from './webhook.js'

type Start = (opts?: ReceiverOptions) => Promise<AnyFake>
const kinds: Array<[string, Start]> = [
  ['splunk_hec', (opts) => startFakeSplunkHec(opts)],
  ['elasticsearch', (opts) => startFakeElasticsearch(opts)],
  ['sumo_http', (opts) => startFakeSumoHttp(opts)],
  ['webhook', (opts) => startFakeWebhook(opts)],
]

let fake: AnyFake | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

describe.each(kinds)('%s fault switches', (_kind, start) => {
  it('answers instantly and correctly with no fault armed', async () => {
    fake = await start()
    const res = await deliver(fake, events('plain', 3))
    expect(res.status).toBe(200)
    expect(fake.acceptedEvents().map((e) => e.id)).toEqual(['plain-0', 'plain-1', 'plain-2'])
    expect(fake.violations).toEqual([])
    expect(fake.requests).toMatchObject([{ seq: 1, status: 200, outcome: 'answered', storedEvents: 3 }])
  })

  it('failNext: the next N requests get the 5xx, nothing is stored, then normal answers resume', async () => {
    fake = await start()
    fake.faults.failNext(2, { status: 503 })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await deliver(fake, events(`f${i}`, 1))).status)
    expect(statuses).toEqual([503, 503, 200])
    expect(fake.acceptedEvents().map((e) => e.id)).toEqual(['f2-0'])
    expect(fake.requests.map((r) => r.fault)).toEqual(['server_error', 'server_error', undefined])
  })

  it('502 and 504 come as a proxy HTML page', async () => {
    fake = await start()
    fake.faults.failNext(1, { status: 502 }).failNext(1, { status: 504 })
    const first = await deliver(fake, events('p', 1))
    const second = await deliver(fake, events('p', 1))
    expect([first.status, first.headers['content-type']]).toEqual([502, 'text/html'])
    expect([second.status, second.text]).toEqual([504, expect.stringContaining('504 Gateway Time-out')])
    expect(fake.acceptedEvents()).toEqual([])
  })

  it('throttleNext: 429 with Retry-After, nothing stored', async () => {
    fake = await start()
    fake.faults.throttleNext(1, { retryAfterSeconds: 7 })
    const res = await deliver(fake, events('t', 2))
    expect(res.status).toBe(429)
    expect(res.headers['retry-after']).toBe('7')
    expect(fake.acceptedEvents()).toEqual([])
    expect((await deliver(fake, events('t', 2))).status).toBe(200)
  })

  it('unauthorizedNext: 401 whatever the credentials', async () => {
    fake = await start()
    fake.faults.unauthorizedNext()
    const res = await deliver(fake, events('u', 1))
    expect(res.status).toBe(401)
    expect(fake.requests[0]).toMatchObject({ status: 401, fault: 'unauthorized', storedEvents: 0 })
  })

  it('hangNext: no answer ever comes and nothing is stored; close() ends the open connection', async () => {
    const hanging = await start()
    fake = hanging
    hanging.faults.hangNext()
    const pending = deliver(hanging, events('h', 2), { timeoutMs: 60_000 })
    await eventually(() => hanging.requests.length === 1)
    expect(hanging.requests[0]).toMatchObject({ outcome: 'hung', status: 0, fault: 'hang', storedEvents: 0 })
    expect(hanging.acceptedEvents()).toEqual([])
    // The client is still waiting; close() must end its connection rather than wait for it.
    await hanging.close()
    expect(await pending).toMatchObject({ status: 0, error: 'ECONNRESET' })
  })

  it('hangNext with accept: the data is stored although the client never hears back', async () => {
    const hanging = await start()
    fake = hanging
    hanging.faults.hangNext(1, { accept: true })
    const pending = deliver(hanging, events('ha', 2), { timeoutMs: 60_000 })
    await eventually(() => hanging.requests.length === 1)
    expect(hanging.acceptedEvents().map((e) => e.id)).toEqual(['ha-0', 'ha-1'])
    expect(hanging.requests[0]).toMatchObject({ outcome: 'hung', storedEvents: 2 })
    await hanging.close()
    expect((await pending).status).toBe(0)
  })

  it('a client timeout against a hung request is the client’s own', async () => {
    fake = await start()
    fake.faults.hangNext()
    expect((await deliver(fake, events('ht', 1), { timeoutMs: 200 })).error).toBe('TIMEOUT')
  })

  it('resetNext: the connection is reset mid-request and nothing is stored', async () => {
    fake = await start()
    fake.faults.resetNext()
    const res = await deliver(fake, events('r', 50))
    expect(res.status).toBe(0)
    expect(res.error).toBe('ECONNRESET')
    expect(fake.acceptedEvents()).toEqual([])
    expect(fake.requests[0]).toMatchObject({ outcome: 'reset', fault: 'reset' })
    expect((await deliver(fake, events('r', 1))).status).toBe(200)
  })

  it('setDelay: a slow receiver answers late, still stores what a client gave up on, and recovers at 0', async () => {
    fake = await start()
    fake.faults.setDelay(1_500)
    const res = await deliver(fake, events('s', 1), { timeoutMs: 250 })
    expect(res.error).toBe('TIMEOUT')
    expect(fake.acceptedEvents()).toEqual([])
    await eventually(() => fake?.acceptedEvents().length === 1)
    expect(fake.requests[0]).toMatchObject({ fault: 'slow', outcome: 'client_closed', storedEvents: 1 })
    fake.faults.setDelay(0)
    expect((await deliver(fake, events('s2', 1))).status).toBe(200)
    expect(fake.requests[1]?.fault).toBeUndefined()
  })

  it('setDelay: a request still waiting when the fake closes is neither stored nor answered', async () => {
    const slow = await start()
    fake = slow
    slow.faults.setDelay(60_000)
    const pending = deliver(slow, events('late', 1), { timeoutMs: 60_000 })
    await eventually(() => slow.delayedRequests === 1)
    expect(slow.requests).toEqual([])
    await slow.close()
    expect((await pending).status).toBe(0)
    expect(slow.acceptedEvents()).toEqual([])
    expect(slow.requests[0]).toMatchObject({ outcome: 'receiver_closed', fault: 'slow', storedEvents: 0 })
  })

  it('clear() disarms every fault and delay', async () => {
    fake = await start()
    fake.faults.failNext(3).throttleNext(2).hangNext().resetNext().setDelay(5_000)
    expect(fake.faults.pending()).toBe(7)
    fake.faults.clear()
    expect(fake.faults.pending()).toBe(0)
    expect((await deliver(fake, events('c', 1))).status).toBe(200)
  })

  it('faults are consumed in the order they were armed', async () => {
    fake = await start()
    fake.faults.throttleNext(1).failNext(1, { status: 500 }).unauthorizedNext(1)
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await deliver(fake, events(`o${i}`, 1))).status)
    expect(statuses).toEqual([429, 500, 401, 200])
  })

  it('closes cleanly with an idle keep-alive connection open', async () => {
    fake = await start()
    const res = await fetch(`${fake.origin}/nothing-here`, { method: 'POST', body: 'x' })
    await res.text()
    expect(res.status).toBeGreaterThanOrEqual(400)
    await fake.close()
    await expect(fetch(`${fake.origin}/nothing-here`)).rejects.toThrow()
  })

  it('a body over maxBodyBytes gets 413 and is not stored', async () => {
    fake = await start({ maxBodyBytes: 64 })
    const res = await deliver(fake, events('big', 40))
    // The client may still be writing when the answer comes; it sees the 413 or a closed connection.
    expect(res.status === 413 || res.error !== undefined).toBe(true)
    expect(fake.requests[0]).toMatchObject({ status: 413, storedEvents: 0 })
    expect(fake.acceptedEvents()).toEqual([])
  })

  it('retainEvents: false keeps ids and counts but not the bodies', async () => {
    fake = await start({ retainEvents: false })
    await deliver(fake, events('lean', 2))
    expect(fake.acceptedEvents()).toEqual([
      { id: 'lean-0', requestSeq: 1, event: undefined },
      { id: 'lean-1', requestSeq: 1, event: undefined },
    ])
  })
})

describe('fault routes', () => {
  it('a fault armed for the HEC ack route leaves the event route alone', async () => {
    const hec = await startFakeSplunkHec({ acks: true })
    fake = hec
    hec.faults.failNext(1, { route: 'ack' })
    expect((await deliver(hec, events('a', 1))).status).toBe(200)
    const poll = await send(`${hec.url}/services/collector/ack?channel=0f4a5b6c-7d8e-4f90-a1b2-c3d4e5f60718`, {
      headers: { authorization: `Splunk ${hec.token}` },
      body: '{"acks":[0]}',
    })
    expect(poll.status).toBe(503)
    expect(hec.requestsTo('ack', 503)).toHaveLength(1)
  })

  it('rejects nonsense arguments to the switches', async () => {
    fake = await startFakeWebhook()
    expect(() => fake?.faults.failNext(0)).toThrow(/count/)
    expect(() => fake?.faults.throttleNext(1, { retryAfterSeconds: 1.5 })).toThrow(/retryAfterSeconds/)
    expect(() => fake?.faults.setDelay(-1)).toThrow(/delay/)
  })
})
