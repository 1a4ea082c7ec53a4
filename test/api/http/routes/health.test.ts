// GET /healthz: 200 when the database answers, 503 when it does not; never needs credentials.
import crypto from 'node:crypto'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../../../api/http/app.js'
import { UNAVAILABLE_REASON } from '../../../../api/http/routes/health.js'
import { createLogger } from '../../../../api/logger.js'
import { openDatabase } from '../../../../api/store/database.js'
import { SecretBox } from '../../../../api/store/secrets.js'
import { createAppContext } from '../../../../api/service.js'
import { startTestService } from '../../../helpers/app.js'

describe('GET /healthz', () => {
  it('answers 200 without credentials while the database is reachable', async () => {
    const t = await startTestService()
    try {
      const res = await t.app.inject({ method: 'GET', url: '/healthz' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'ok', database: t.service.database.kind })
    } finally {
      await t.close()
    }
  })

  it('answers 503 with a generic reason when the database is unreachable, and logs the details', async () => {
    // Port 1 on loopback refuses connections: a Postgres server that is down.
    const database = await openDatabase({ databaseUrl: 'postgres://dbuser@127.0.0.1:1/secretdb' })
    const ctx = createAppContext(database, new SecretBox(crypto.randomBytes(32)))
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean))
        done()
      },
    })
    const app = await buildApp({ ctx, logger: createLogger({ logLevel: 'info' }, sink), version: 'test' })
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz' })
      expect(res.statusCode).toBe(503)
      // The route is public: nothing of the driver's error (address, port, database) reaches the client.
      expect(res.json()).toEqual({ status: 'unavailable', database: 'postgres', reason: UNAVAILABLE_REASON })
      for (const detail of ['127.0.0.1', 'ECONNREFUSED', ':1', 'secretdb', 'dbuser']) expect(res.body).not.toContain(detail)
      // ...but the operator finds it in the log.
      expect(lines.some((l) => l.includes('health check') && l.includes('ECONNREFUSED'))).toBe(true)
      // API calls fail with the error body and a retryable 503, not a crash.
      const api = await app.inject({ method: 'GET', url: '/api/v1/collectors', headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } })
      expect(api.statusCode).toBe(503)
      expect(api.json()).toMatchObject({ status: 503, code: 'service.unavailable' })
    } finally {
      await app.close()
      await database.close()
    }
  })
})
