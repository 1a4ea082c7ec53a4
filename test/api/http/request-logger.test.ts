// Per-request loggers are made lazily: a request that writes no line makes no pino child, and one
// that does gets its request id and the service's redaction exactly as a real child would.
import crypto from 'node:crypto'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../../../api/http/app.js'
import { isLevelEnabled, lazyChildLoggerFactory } from '../../../api/http/request-logger.js'
import { createLogger } from '../../../api/logger.js'
import { createAppContext } from '../../../api/service.js'
import { ensureCredentials } from '../../../api/store/credentials.js'
import { SecretBox } from '../../../api/store/secrets.js'
import { openTestDatabase, type TestDatabase } from '../../helpers/db.js'

function memoryLogger(level: string): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const written: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  return { logger: createLogger({ logLevel: level as never }, sink), lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>) }
}

describe('lazyChildLoggerFactory', () => {
  it('makes no child for lines below the level, and one child, bound and redacting, for the first line written', () => {
    const { logger, lines } = memoryLogger('info')
    const child = vi.spyOn(logger, 'child')
    const requestLog = lazyChildLoggerFactory(logger, { reqId: 'req-7' }, {})
    requestLog.debug({ detail: 1 }, 'not written')
    requestLog.trace('not written either')
    expect(child).not.toHaveBeenCalled()
    expect(requestLog.level).toBe('info')
    expect(isLevelEnabled(requestLog, 'debug')).toBe(false)
    expect(isLevelEnabled(requestLog, 'warn')).toBe(true)

    requestLog.info({ apiKey: 'sk-secret', status: 400 }, 'first')
    requestLog.error('second')
    expect(child).toHaveBeenCalledTimes(1)
    const written = lines()
    expect(written.map((l) => l.msg)).toEqual(['first', 'second'])
    expect(written.every((l) => l.reqId === 'req-7')).toBe(true)
    expect(written[0]).toMatchObject({ apiKey: '[redacted]', status: 400, level: 30 })
  })

  it('gives a real child at once to routes with their own level, and follows a level set on it', () => {
    const { logger, lines } = memoryLogger('info')
    const routeLog = lazyChildLoggerFactory(logger, { reqId: 'r' }, { level: 'debug' })
    routeLog.debug('route debug')
    expect(lines().map((l) => l.msg)).toEqual(['route debug'])

    const requestLog = lazyChildLoggerFactory(logger, { reqId: 'q' }, {})
    requestLog.level = 'warn'
    requestLog.info('dropped')
    requestLog.warn('kept')
    expect(lines().map((l) => l.msg)).toEqual(['route debug', 'kept'])
    expect(logger.level).toBe('info')
  })
})

describe('request logging through the app', () => {
  let testDatabase: TestDatabase
  let app: FastifyInstance
  const memory = memoryLogger('info')
  const accessKey = crypto.randomBytes(16).toString('hex')
  const good = `Basic ${Buffer.from(`rl-id:${accessKey}`).toString('base64')}`

  beforeAll(async () => {
    testDatabase = await openTestDatabase()
    await ensureCredentials(testDatabase.database.db, 'rl-id', accessKey)
    const ctx = createAppContext(testDatabase.database, new SecretBox(crypto.randomBytes(32)))
    app = await buildApp({ ctx, logger: memory.logger, version: 'test' })
  })
  afterAll(async () => {
    await app?.close()
    await testDatabase?.close()
  })

  it('writes nothing for a success at info, and a completed line with the request id, route and status for a rejection', async () => {
    const before = memory.lines().length
    expect((await app.inject({ method: 'GET', url: '/api/v1/collectors', headers: { authorization: good } })).statusCode).toBe(200)
    expect(memory.lines().length).toBe(before)

    const rejected = await app.inject({ method: 'GET', url: '/api/v1/collectors/12?x=1', headers: { authorization: good } })
    expect(rejected.statusCode).toBe(404)
    const completed = memory.lines().filter((l) => l.msg === 'request completed')
    expect(completed).toHaveLength(1)
    expect(completed[0]).toMatchObject({ method: 'GET', url: '/api/v1/collectors/:id', status: 404, level: 30 })
    expect(typeof completed[0]!.reqId).toBe('string')
    const rejectedLine = memory.lines().find((l) => l.msg === 'request rejected')
    expect(rejectedLine?.reqId).toBe(completed[0]!.reqId)
  })
})
