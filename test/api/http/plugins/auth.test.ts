// Failed-authentication limiting: after N wrong keys for one access id from one address in a window,
// that id from that address gets 429 with Retry-After until the window ends; other ids and other
// addresses are unaffected. A fake clock stands in for wall time.
import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../../api/http/app.js'
import { FailedAuthLimiter } from '../../../../api/http/plugins/auth.js'
import { createAppContext } from '../../../../api/service.js'
import { ensureCredentials } from '../../../../api/store/credentials.js'
import { SecretBox } from '../../../../api/store/secrets.js'
import { openTestDatabase, type TestDatabase } from '../../../helpers/db.js'

const ACCESS_ID = 'limit-id'
const ACCESS_KEY = crypto.randomBytes(20).toString('hex')
const basic = (id: string, key: string) => `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`
const GOOD = basic(ACCESS_ID, ACCESS_KEY)

let testDatabase: TestDatabase
let app: FastifyInstance
let now = 1_000_000
const limiter = new FailedAuthLimiter(3, 60_000, () => now)

beforeAll(async () => {
  testDatabase = await openTestDatabase()
  await ensureCredentials(testDatabase.database.db, ACCESS_ID, ACCESS_KEY)
  const ctx = createAppContext(testDatabase.database, new SecretBox(crypto.randomBytes(32)))
  app = await buildApp({ ctx, logger: false, version: 'test', authLimiter: limiter })
})
afterAll(async () => {
  await app?.close()
  await testDatabase?.close()
})

const get = (authorization: string | undefined, remoteAddress: string, url = '/api/v1/collectors') =>
  app.inject({ method: 'GET', url, remoteAddress, headers: authorization === undefined ? {} : { authorization } })

describe('failed-authentication limit', () => {
  it('answers 429 with Retry-After once an id used up its failures from an address, for the right key too, until the window ends', async () => {
    const address = '203.0.113.1'
    for (const authorization of [basic(ACCESS_ID, 'wrong-1'), basic(ACCESS_ID, 'wrong-2'), basic(ACCESS_ID, 'wrong-3')]) {
      expect((await get(authorization, address)).statusCode).toBe(401)
    }
    const blocked = await get(basic(ACCESS_ID, 'wrong-4'), address)
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json()).toMatchObject({ status: 429, code: 'rate.limit.exceeded' })
    expect(blocked.json().id).toMatch(/^[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$/)
    expect(blocked.headers['retry-after']).toBe('60')
    // The right key is refused as well: otherwise the answers would still tell a right guess apart.
    expect((await get(GOOD, address)).statusCode).toBe(429)
    // Public routes stay reachable.
    expect((await get(undefined, address, '/healthz')).statusCode).toBe(200)

    now += 45_000
    expect((await get(GOOD, address)).headers['retry-after']).toBe('15')
    now += 15_000
    expect((await get(GOOD, address)).statusCode).toBe(200)
    expect((await get(basic(ACCESS_ID, 'wrong-5'), address)).statusCode).toBe(401)
  })

  it('counts per address and access id, and does not count requests that carry no credentials', async () => {
    const noisy = '198.51.100.7'
    for (let i = 0; i < 10; i++) {
      for (const authorization of [undefined, 'Bearer x', 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
        expect((await get(authorization, noisy)).statusCode).toBe(401)
      }
    }
    expect((await get(GOOD, noisy)).statusCode).toBe(200)

    const attacker = '198.51.100.8'
    for (let i = 0; i < 3; i++) await get(basic(ACCESS_ID, `guess-${i}`), attacker)
    expect((await get(GOOD, attacker)).statusCode).toBe(429)
    expect((await get(GOOD, '198.51.100.9')).statusCode).toBe(200)

    // A stale client of another id behind the same address (a proxy, NAT) locks out only that id.
    const shared = '198.51.100.10'
    for (let i = 0; i < 5; i++) expect((await get(basic('stale-client', `old-key-${i}`), shared)).statusCode).toBe(i < 3 ? 401 : 429)
    expect((await get(GOOD, shared)).statusCode).toBe(200)
  })

  it('is off with a limit of 0', async () => {
    const off = new FailedAuthLimiter(0, 60_000, () => now)
    for (let i = 0; i < 100; i++) off.recordFailure('k')
    expect(off.retryAfter('k')).toBe(0)
  })

  it('answers an access id holding NUL (which no stored id can) with 401, not a database error', async () => {
    const res = await get(basic('a\u0000b', 'key'), '192.0.2.50')
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('unauthorized')
  })

  it('forgets the oldest addresses first when many are tracked, so memory stays bounded', () => {
    let clock = 0
    const small = new FailedAuthLimiter(1, 60_000, () => clock)
    small.recordFailure('first')
    expect(small.retryAfter('first')).toBe(60)
    for (let i = 0; i < 10_000; i++) small.recordFailure(`spray-${i}`)
    expect(small.retryAfter('first')).toBe(0)
    expect(small.retryAfter('spray-9999')).toBe(60)
    clock += 60_000
    expect(small.retryAfter('spray-9999')).toBe(0)
  })
  it('is idle while no window is live, and forgets ended windows when asked', () => {
    let clock = 0
    const limiter = new FailedAuthLimiter(5, 60_000, () => clock)
    expect(limiter.isIdle()).toBe(true)
    limiter.recordFailure('a')
    clock += 30_000
    limiter.recordFailure('b')
    expect(limiter.isIdle()).toBe(false)
    clock += 30_000 // a's window ends, b's is live
    expect(limiter.isIdle()).toBe(false)
    limiter.recordFailure('b')
    limiter.recordFailure('b')
    expect(limiter.retryAfter('b')).toBe(0) // 3 of 5
    clock += 30_000 // b's window ends too
    expect(limiter.isIdle()).toBe(true)
    expect(new FailedAuthLimiter(0, 60_000, () => clock).isIdle()).toBe(true)
  })
})
