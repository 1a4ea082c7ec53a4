// The provider's HTTP client against a tiny in-test HTTP stub: headers, the GET→PUT If-Match sequence,
// error bodies, bounded retries and interruption. (Everything else runs against the real service.)

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiClient } from '../../../provider/client/api-client.js'
import { ApiAbortedError, ApiError, ApiUnreachableError } from '../../../provider/client/api-error.js'
import { updateCollector } from '../../../provider/client/collectors-api.js'
import { updateSource } from '../../../provider/client/sources-api.js'
import { closedPortUrl } from '../helpers/black-hole.js'

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void
interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

async function stub(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handler(Object.assign(req, { body }), res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  close = () => new Promise((resolve) => server.close(() => resolve()))
  server.on('connection', (socket) => socket.unref())
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const client = (endpoint: string) => new ApiClient({ endpoint, accessId: 'id', accessKey: 'key:with:colons' }, 'test-agent/1')

describe('ApiClient', () => {
  it('sends Basic auth, JSON and a user agent under /api/v1, whether or not the endpoint ends in /api', async () => {
    const { url, seen } = await stub((_req, res) => json(res, 200, { ok: true }))
    await client(url).request('GET', 'v1/collectors')
    await client(`${url}/api/`).request('POST', 'v1/collectors', { body: { a: 1 } })
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/collectors', 'POST /api/v1/collectors'])
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('id:key:with:colons').toString('base64')}`)
    expect(seen[0]?.headers['user-agent']).toBe('test-agent/1')
    expect(seen[1]?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ a: 1 })
  })

  it('updates with a fresh GET, then PUT carrying its ETag in If-Match', async () => {
    const { url, seen } = await stub((req, res) => {
      if (req.method === 'GET') json(res, 200, { collector: { id: 5, name: 'old' } }, { etag: '"abc"' })
      else json(res, 200, { collector: { id: 5, name: 'new' } }, { etag: '"def"' })
    })
    const updated = await updateCollector(client(url), '5', { name: 'new' })
    expect(updated.name).toBe('new')
    expect(seen.map((s) => s.method)).toEqual(['GET', 'PUT'])
    expect(seen[1]?.headers['if-match']).toBe('"abc"')
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ collector: { name: 'new', id: 5, collectorType: 'Hosted' } })
  })

  it('updates a source the same way, under its collector', async () => {
    const { url, seen } = await stub((req, res) => {
      if (req.method === 'GET') json(res, 200, { source: { id: 7, config: { name: 'old' } } }, { etag: '"v1"' })
      else json(res, 200, { source: { id: 7, config: { name: 'new' } } }, { etag: '"v2"' })
    })
    const updated = await updateSource(client(url), '3', '7', { schemaRef: { type: 'ChatGPT Compliance' }, config: { name: 'new' } })
    expect(updated.id).toBe(7)
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /api/v1/collectors/3/sources/7', 'PUT /api/v1/collectors/3/sources/7'])
    expect(seen[1]?.headers['if-match']).toBe('"v1"')
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ source: { schemaRef: { type: 'ChatGPT Compliance' }, config: { name: 'new' }, id: 7, sourceType: 'Universal' } })
  })

  it('turns an error body into an ApiError with code, message, request id and field paths', async () => {
    const { url } = await stub((_req, res) =>
      json(res, 400, { status: 400, id: 'AAAAA-BBBBB-CCCCC', code: 'collectors.validation.name.duplicate', message: 'exists', errors: [{ path: '$.collector.name', message: 'must be unique' }] }),
    )
    const error = await client(url).request('POST', 'v1/collectors', { body: {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 400, code: 'collectors.validation.name.duplicate', apiMessage: 'exists', requestId: 'AAAAA-BBBBB-CCCCC', fieldErrors: [{ path: '$.collector.name', message: 'must be unique' }] })
  })

  it('keeps the start of a non-JSON error body as the message', async () => {
    const { url } = await stub((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>bad gateway from a proxy</html>')
    })
    const error = (await client(url).request('POST', 'v1/collectors').catch((e: unknown) => e)) as ApiError
    expect(error.apiMessage).toContain('bad gateway from a proxy')
  })

  it('retries a GET on 503 but never a POST that may have been processed', async () => {
    let calls = 0
    const { url, seen } = await stub((_req, res) => (++calls < 3 ? json(res, 503, { code: 'service.unavailable', message: 'busy' }) : json(res, 200, { ok: 1 })))
    expect((await client(url).request('GET', 'v1/collectors')).status).toBe(200)
    expect(seen).toHaveLength(3)
    calls = 0
    seen.length = 0
    await expect(client(url).request('POST', 'v1/collectors', { body: {} })).rejects.toBeInstanceOf(ApiError)
    expect(seen).toHaveLength(1)
  })

  it('retries a POST answered 429 (not processed), honouring Retry-After', async () => {
    let calls = 0
    const { url, seen } = await stub((_req, res) => (++calls === 1 ? json(res, 429, { code: 'rate.limit.exceeded', message: 'slow down' }, { 'retry-after': '0' }) : json(res, 201, { id: 1 })))
    expect((await client(url).request('POST', 'v1/collectors', { body: {} })).status).toBe(201)
    expect(seen).toHaveLength(2)
  })

  it('gives up on an endpoint that refuses connections after a bounded number of attempts', async () => {
    const error = await client(await closedPortUrl()).request('GET', 'v1/collectors').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiUnreachableError)
    expect((error as Error).message).toMatch(/ECONNREFUSED/)
  })

  it('stops waiting when Terraform asks the provider to stop', async () => {
    const { url } = await stub(() => {}) // never answers
    const controller = new AbortController()
    const pending = client(url).request('GET', 'v1/collectors', { signal: controller.signal }).catch((e: unknown) => e)
    setTimeout(() => controller.abort(new Error('stop')), 50)
    expect(await pending).toBeInstanceOf(ApiAbortedError)
  })

  it('treats accepted statuses (404 on a read) as answers', async () => {
    const { url } = await stub((_req, res) => json(res, 404, { code: 'collectors.collector.invalid', message: 'nope' }))
    const response = await client(url).request('GET', 'v1/collectors/9', { accept: [404] })
    expect(response.status).toBe(404)
  })
})
