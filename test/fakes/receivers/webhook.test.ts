import { createHmac } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { events, ndjson, send, type ClientResult } from './test-support.js'
import { startFakeWebhook, type FakeWebhook } from './webhook.js'

let hook: FakeWebhook
afterEach(() => hook.close())

const KEY = 'whsec-test-key'
const sign = (body: Buffer | string): string => `sha256=${createHmac('sha256', KEY).update(body).digest('hex')}`

function post(body: Buffer | string, headers: Record<string, string> = {}): Promise<ClientResult> {
  return send(hook.url, { headers: { 'content-type': 'application/x-ndjson', 'x-openc2c-batch-id': 'batch-1', ...headers }, body })
}

describe('webhook contract', () => {
  it('takes signed gzip NDJSON with the custom headers, and stores each event', async () => {
    hook = await startFakeWebhook({ signingKey: KEY, requiredHeaders: { 'X-Team': 'secops' }, path: '/hooks/openc2c' })
    expect(hook.url).toBe(`${hook.origin}/hooks/openc2c`)
    const body = gzipSync(ndjson(events('w', 3)))
    const res = await post(body, { 'content-encoding': 'gzip', 'x-openc2c-signature': sign(body), 'x-team': 'secops' })
    expect([res.status, res.json]).toEqual([200, { accepted: 3, batchId: 'batch-1' }])
    expect(hook.batches).toEqual([
      expect.objectContaining({ requestSeq: 1, batchId: 'batch-1', encoding: 'gzip', eventCount: 3, signature: 'valid', events: events('w', 3) }),
    ])
    expect(hook.batches[0]?.headers['x-team']).toBe('secops')
    expect(hook.acceptedEvents().map((e) => e.id)).toEqual(['w-0', 'w-1', 'w-2'])
    expect(hook.signatureFor(body)).toBe(sign(body))
    expect(hook.violations).toEqual([])
  })

  it('without a key, takes unsigned bodies', async () => {
    hook = await startFakeWebhook()
    expect((await post(ndjson(events('u', 1)))).status).toBe(200)
    expect(hook.batches[0]?.signature).toBe('absent')
    expect(() => hook.signatureFor('x')).toThrow(/no signingKey/)
  })

  it.each([
    ['a missing signature', () => ({}), 'header X-Openc2c-Signature is required'],
    ['a malformed signature', () => ({ 'x-openc2c-signature': 'md5=abc' }), 'X-Openc2c-Signature must be sha256=<64 hex digits>'],
    ['a signature from another key', () => ({ 'x-openc2c-signature': `sha256=${createHmac('sha256', 'other').update(ndjson(events('s', 1))).digest('hex')}` }), 'X-Openc2c-Signature does not match the body'],
  ])('refuses %s with 401', async (_label, headers, error) => {
    hook = await startFakeWebhook({ signingKey: KEY })
    const res = await post(ndjson(events('s', 1)), headers())
    expect([res.status, res.json]).toEqual([401, { error }])
    expect(hook.batches).toEqual([])
  })

  it('checks the signature over the body as sent: a signature of the uncompressed text fails on a gzip body', async () => {
    hook = await startFakeWebhook({ signingKey: KEY })
    const text = ndjson(events('g', 1))
    const res = await post(gzipSync(text), { 'content-encoding': 'gzip', 'x-openc2c-signature': sign(text) })
    expect(res.status).toBe(401)
  })

  it('refuses a missing custom header, a wrong Content-Type, a missing batch id and a bad line', async () => {
    hook = await startFakeWebhook({ requiredHeaders: { 'x-team': 'secops' } })
    const body = ndjson(events('r', 2))
    expect((await post(body)).json).toEqual({ error: 'header x-team is missing' })
    expect((await post(body, { 'x-team': 'other' })).json).toEqual({ error: 'header x-team is wrong' })
    const ok = { 'x-team': 'secops' }
    expect((await post(body, { ...ok, 'content-type': 'application/json' })).status).toBe(415)
    expect((await send(hook.url, { headers: { ...ok, 'content-type': 'application/x-ndjson' }, body })).json).toEqual({ error: 'header X-Openc2c-Batch-Id is required' })
    expect((await post('{"id":"a"}\nnot json\n', ok)).json).toEqual({ error: 'line 2 is not JSON' })
    expect((await post('{"id":"a"}\n[1]\n', ok)).json).toEqual({ error: 'line 2 is not a JSON object' })
    expect((await post('', ok)).json).toEqual({ error: 'the body holds no events' })
    expect(hook.batches).toEqual([])
    expect((await post(body, ok)).status).toBe(200)
  })

  it('notes a body without its final newline, and accepts it', async () => {
    hook = await startFakeWebhook()
    expect((await post('{"id":"a"}\n{"id":"b"}')).status).toBe(200)
    expect(hook.acceptedEvents().map((e) => e.id)).toEqual(['a', 'b'])
    expect(hook.violations.map((v) => v.rule)).toEqual(['webhook.final_newline'])
  })

  it('answers 404 on another path and 405 to a GET', async () => {
    hook = await startFakeWebhook()
    expect((await send(`${hook.origin}/elsewhere`, { body: 'x' })).status).toBe(404)
    expect((await send(hook.url, { method: 'GET' })).status).toBe(405)
  })
})

describe('batch ids', () => {
  it('counts batches seen twice, and notes a batch id reused for a different body', async () => {
    hook = await startFakeWebhook()
    const body = ndjson(events('b', 2))
    await post(body, { 'x-openc2c-batch-id': 'one' })
    await post(body, { 'x-openc2c-batch-id': 'one' })
    await post(ndjson(events('c', 1)), { 'x-openc2c-batch-id': 'two' })
    expect(hook.batchIdCounts()).toEqual(new Map([['one', 2], ['two', 1]]))
    expect(hook.repeatedBatchIds()).toEqual(['one'])
    expect(hook.violations).toEqual([])
    await post(ndjson(events('d', 1)), { 'x-openc2c-batch-id': 'two' })
    expect(hook.violations).toEqual([{ requestSeq: 4, rule: 'webhook.batch_id', detail: 'batch two came again with a different body (first in request 3)' }])
    // The receiver does not deduplicate: the resent events are stored again, which the tally shows.
    expect(hook.acceptedEvents().map((e) => e.id)).toEqual(['b-0', 'b-1', 'b-0', 'b-1', 'c-0', 'd-0'])
  })

  it('the same batch gzip-compressed on retry is still the same batch', async () => {
    hook = await startFakeWebhook()
    const text = ndjson(events('z', 2))
    await post(text, { 'x-openc2c-batch-id': 'z' })
    await post(gzipSync(text), { 'x-openc2c-batch-id': 'z', 'content-encoding': 'gzip' })
    expect(hook.repeatedBatchIds()).toEqual(['z'])
    expect(hook.violations).toEqual([])
  })
})
