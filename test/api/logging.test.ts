// Logs are JSON and never carry a secret: not the source apiKey, not the Authorization header.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../api/config.js'
import { createLogger } from '../../api/logger.js'
import { buildService, type Service } from '../../api/service.js'
import { chatGptSourceBody, collectorBody } from '../helpers/fixtures.js'
import { openTestDatabase, type TestDatabase } from '../helpers/db.js'

let service: Service
let testDatabase: TestDatabase
let dataDir: string
const lines: string[] = []
const apiKey = `sk-proj-${crypto.randomBytes(10).toString('hex')}`
const accessKey = crypto.randomBytes(20).toString('hex')
const authorization = `Basic ${Buffer.from(`log-id:${accessKey}`).toString('base64')}`

beforeAll(async () => {
  testDatabase = await openTestDatabase()
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-logging-'))
  const config = loadConfig({
    OPENC2C_DATA_DIR: dataDir,
    OPENC2C_ACCESS_ID: 'log-id',
    OPENC2C_ACCESS_KEY: accessKey,
    OPENC2C_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
    LOG_LEVEL: 'trace',
    ...(testDatabase.location.databaseUrl ? { DATABASE_URL: testDatabase.location.databaseUrl } : {}),
  })
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  service = await buildService(config, { database: testDatabase.database, logger: createLogger(config, sink), print: () => {} })
})
afterAll(async () => {
  await service?.app.close()
  await testDatabase?.close()
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true })
})

describe('logs', () => {
  it('stay JSON and free of secrets through successful, rejected and failing requests', async () => {
    const inject = (method: 'POST' | 'PUT' | 'GET', url: string, body?: unknown, headers: Record<string, string> = {}) =>
      service.app.inject({ method, url, headers: { authorization, 'content-type': 'application/json', ...headers }, ...(body ? { payload: JSON.stringify(body) } : {}) })
    const c = await inject('POST', '/api/v1/collectors', collectorBody('logs'))
    const cid = c.json().collector.id
    await inject('POST', `/api/v1/collectors/${cid}/sources`, chatGptSourceBody({}, { apiKey }))
    await inject('POST', `/api/v1/collectors/${cid}/sources`, chatGptSourceBody({}, { apiKey, pollingIntervalHour: 'bad' }))
    await inject('PUT', `/api/v1/collectors/${cid}/sources/1`, chatGptSourceBody({}, { apiKey }))
    await inject('GET', '/api/v1/collectors', undefined, { authorization: `Basic ${Buffer.from(`log-id:${apiKey}`).toString('base64')}` })
    // Direct logging of objects that hold secrets is censored by the logger itself.
    service.logger.error({ config: { apiKey }, headers: { authorization }, source: { config: { apiKey } }, secrets: { apiKey } }, 'diagnostic')

    expect(lines.length).toBeGreaterThan(5)
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow()
      expect(line).not.toContain(apiKey)
      expect(line).not.toContain(accessKey)
      expect(line).not.toContain(authorization.slice('Basic '.length))
    }
    expect(lines.some((l) => l.includes('"msg":"diagnostic"') && l.includes('[redacted]'))).toBe(true)
    expect(lines.some((l) => l.includes('collectors.validation.config.invalid'))).toBe(true)
  })
})
