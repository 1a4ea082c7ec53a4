// A fake of a plain paged JSON API, the upstream of the test-only "Paged JSON" source type: not a
// file listing, so it shows what a second kind of source looks like to the store and the runtime.
//
//   GET /items?cursor=<opaque>&limit=<n>   Authorization: Bearer <token>
//   → 200 {"items": [...], "next_cursor": "<opaque>", "has_more": true|false}
//
// Items are kept in order of arrival; the cursor is opaque to clients (here, the offset in base64url)
// and always points after the last item served, so a client that keeps it sees only new items next
// time. An item is whatever JSON the test published: a well-formed one is an object with a string
// `id`, `kind` and `at`; malformed ones are published on purpose, for quarantine. Fault switches: the
// next N requests answer 500, 401 answers while the token is revoked, and a delay per request.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakePagedApi {
  baseUrl: string
  token: string
  /** Appends items; a string is published as raw JSON text (for malformed items). */
  publish(items: readonly unknown[]): void
  /** Appends `count` well-formed items of `kind`; returns their ids. */
  publishGenerated(count: number, kind?: string): string[]
  /** Ids of every well-formed item published. */
  expectedIds(): Set<string>
  requests: { cursor: string | null; status: number }[]
  failNext(count: number): void
  revokeToken(): void
  /** Milliseconds each request waits before it answers. */
  delayMs: number
  close(): Promise<void>
}

export async function startFakePagedApi(options: { maxLimit?: number } = {}): Promise<FakePagedApi> {
  const maxLimit = options.maxLimit ?? 100
  const items: string[] = []
  const ids = new Set<string>()
  let generated = 0
  let failures = 0
  let revoked = false
  const token = `paged-${Math.random().toString(36).slice(2)}`
  const requests: FakePagedApi['requests'] = []

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const cursor = url.searchParams.get('cursor')
    const answer = (status: number, body: unknown) => {
      requests.push({ cursor, status })
      res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body))
    }
    setTimeout(() => {
      if (req.method !== 'GET' || url.pathname !== '/items') return answer(404, { error: 'not found' })
      if (revoked || req.headers.authorization !== `Bearer ${token}`) return answer(401, { error: 'invalid token' })
      if (failures > 0) {
        failures--
        return answer(500, { error: 'internal error' })
      }
      const limit = Number(url.searchParams.get('limit') ?? '50')
      if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) return answer(422, { error: `limit must be 1 to ${maxLimit}` })
      const offset = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'))
      if (!Number.isInteger(offset) || offset < 0 || offset > items.length) return answer(400, { error: 'bad cursor' })
      const page = items.slice(offset, offset + limit)
      const end = offset + page.length
      // Written by hand so that a published raw text reaches the client exactly as published.
      const body = `{"items":[${page.join(',')}],"next_cursor":${JSON.stringify(Buffer.from(String(end)).toString('base64url'))},"has_more":${end < items.length}}`
      answer(200, body)
    }, api.delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const api: FakePagedApi = {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    requests,
    delayMs: 0,
    publish(list) {
      for (const item of list) {
        items.push(typeof item === 'string' ? item : JSON.stringify(item))
        const id = (item as { id?: unknown } | null)?.id
        if (typeof item === 'object' && item !== null && !Array.isArray(item) && typeof id === 'string' && id !== '') ids.add(id)
      }
    },
    publishGenerated(count, kind = 'ITEM') {
      const made: string[] = []
      for (let i = 0; i < count; i++) {
        const id = `item-${++generated}`
        made.push(id)
        api.publish([{ id, kind, at: new Date(Date.UTC(2026, 0, 1) + generated * 1000).toISOString(), payload: 'x'.repeat(64) }])
      }
      return made
    },
    expectedIds: () => new Set(ids),
    failNext(count) {
      failures += count
    },
    revokeToken() {
      revoked = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return api
}
