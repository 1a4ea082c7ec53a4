// If-Match is a compare-and-swap: of 20 concurrent PUTs carrying the same ETag exactly one wins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../helpers/app.js'
import { chatGptSourceBody, collectorBody } from '../../helpers/fixtures.js'

let t: TestService
let base: string
beforeAll(async () => {
  t = await startTestService()
  base = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.close()
})

const PARALLEL = 20

async function put(url: string, body: unknown, etag: string) {
  const res = await fetch(`${base}${url}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: t.authorization, 'if-match': etag },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

describe('concurrent PUTs with one ETag', () => {
  it('collector: exactly one 200, the rest 412, and the winner is what is stored', async () => {
    const created = await t.request('POST', '/api/v1/collectors', collectorBody('race'))
    const id = created.json().collector.id
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => put(`/api/v1/collectors/${id}`, collectorBody('race', { description: `writer ${i}` }), created.headers.etag as string)),
    )
    const winners = results.filter((r) => r.status === 200)
    expect(winners).toHaveLength(1)
    expect(results.filter((r) => r.status === 412)).toHaveLength(PARALLEL - 1)
    const stored = await t.request('GET', `/api/v1/collectors/${id}`)
    expect(stored.json().collector.description).toBe(winners[0]!.body.collector.description)
  })

  it('source: exactly one 200, the rest 412', async () => {
    const collector = (await t.request('POST', '/api/v1/collectors', collectorBody('race-sources'))).json().collector
    const created = await t.request('POST', `/api/v1/collectors/${collector.id}/sources`, chatGptSourceBody())
    const source = created.json().source
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        put(`/api/v1/collectors/${collector.id}/sources/${source.id}`, chatGptSourceBody({ id: source.id }, { description: `writer ${i}` }), created.headers.etag as string),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(1)
    expect(results.filter((r) => r.status === 412)).toHaveLength(PARALLEL - 1)
    for (const r of results.filter((r) => r.status === 412)) expect(r.body).toMatchObject({ status: 412, code: 'precondition.failed' })
  })
})
