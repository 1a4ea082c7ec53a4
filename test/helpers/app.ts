// An in-process service (real database, real Fastify app) for HTTP tests through app.inject().
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../../api/config.js'
import { createLogger } from '../../api/logger.js'
import { buildService, type Service } from '../../api/service.js'
import type { SourceTypeDefinition } from '../../api/sources/source-type.js'
import { openTestDatabase, type TestDatabase } from './db.js'

export interface TestService {
  service: Service
  app: FastifyInstance
  testDatabase: TestDatabase
  accessId: string
  accessKey: string
  /** `Basic …` header value for the test credentials. */
  authorization: string
  /** app.inject() with the test credentials; a body is sent as JSON. */
  request(method: HttpMethod, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  close(): Promise<void>
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD'

export interface StartTestServiceOptions {
  /** The source types the service knows; the built-in ones by default. */
  sourceTypes?: readonly SourceTypeDefinition[]
}

export async function startTestService(env: Record<string, string> = {}, options: StartTestServiceOptions = {}): Promise<TestService> {
  const testDatabase = await openTestDatabase()
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-data-'))
  const accessId = 'test-access-id'
  const accessKey = crypto.randomBytes(24).toString('base64url')
  const config = loadConfig(
    {
      OPENC2C_DATA_DIR: dataDir,
      OPENC2C_ACCESS_ID: accessId,
      OPENC2C_ACCESS_KEY: accessKey,
      OPENC2C_SECRET_KEY: crypto.randomBytes(32).toString('base64'),
      OPENC2C_SCHEDULER: 'off',
      LOG_LEVEL: 'silent',
      ...(testDatabase.location.databaseUrl ? { DATABASE_URL: testDatabase.location.databaseUrl } : {}),
      ...env,
    },
    { ...(options.sourceTypes ? { sourceTypes: options.sourceTypes } : {}) },
  )
  const service = await buildService(config, {
    database: testDatabase.database,
    logger: createLogger({ logLevel: config.logLevel }),
    print: () => {},
    ...(options.sourceTypes ? { sourceTypes: options.sourceTypes } : {}),
  })
  await service.app.ready()
  // As service.start() does, without listening: tests reach the app through inject().
  service.scheduler?.start()
  service.deliveries?.start()
  service.retention?.start()
  const authorization = `Basic ${Buffer.from(`${accessId}:${accessKey}`).toString('base64')}`
  return {
    service,
    app: service.app,
    testDatabase,
    accessId,
    accessKey,
    authorization,
    request: (method, url, body, headers = {}) =>
      service.app.inject({
        method,
        url,
        headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      }),
    async close() {
      // The whole service: scheduler, retention, app and change feed (whose LISTEN connection
      // would otherwise outlive the test and keep reconnecting to a dropped database). The
      // database is ours, so we close it.
      await service.stop()
      await testDatabase.close()
      await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
}
