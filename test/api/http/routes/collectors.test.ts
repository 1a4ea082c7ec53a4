import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestService, type TestService } from '../../../helpers/app.js'

let t: TestService
beforeAll(async () => {
  t = await startTestService()
})
afterAll(async () => {
  await t?.close()
})

function request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: t.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
}

describe('collectors', () => {
  it('creates a hosted collector with 201, Location and ETag, and defaults timeZone to UTC', async () => {
    const res = await request('POST', '/api/v1/collectors', { collector: { collectorType: 'Hosted', name: 'c-create', description: 'd' } })
    expect(res.statusCode).toBe(201)
    const { collector } = res.json()
    expect(collector).toMatchObject({ name: 'c-create', description: 'd', timeZone: 'UTC', collectorType: 'Hosted', alive: true, collectorVersion: '' })
    expect(Number.isInteger(collector.id)).toBe(true)
    expect(res.headers.location).toBe(`/v1/collectors/${collector.id}`)
    expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/)
    expect(collector.links).toEqual([{ rel: 'sources', href: `/v1/collectors/${collector.id}/sources` }])
  })
})
