// Wires the service together. main.ts runs it; tests build it in-process with their own config.
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { prepareCredentials, prepareSecretBox } from './bootstrap.js'
import type { AppConfig } from './config.js'
import { buildApp } from './http/app.js'
import { createLogger } from './logger.js'
import { CollectorsRepository } from './store/collectors-repository.js'
import { type Database, openDatabase } from './store/database.js'
import { migrateToLatest } from './store/migrator.js'
import { SourcesRepository } from './store/sources-repository.js'
import path from 'node:path'

export const VERSION = '0.1.0'

export interface Service {
  config: AppConfig
  logger: Logger
  database: Database
  app: FastifyInstance
  /** Listens on config.host:config.port; resolves with the bound address. */
  start(): Promise<string>
  stop(): Promise<void>
}

export interface BuildServiceOptions {
  print?: (text: string) => void
  logger?: Logger
  /** An already open database (tests); otherwise opened from the config. */
  database?: Database
}

export async function buildService(config: AppConfig, options: BuildServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config)
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pgdata') }))
  try {
    const applied = await migrateToLatest(database.db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations')
    const secretBox = await prepareSecretBox(config, database, logger)
    await prepareCredentials(config, database, options.print ?? ((text) => process.stdout.write(`${text}\n`)))

    const ctx = {
      database,
      collectors: new CollectorsRepository(database.db),
      sources: new SourcesRepository(database.db),
      secretBox,
    }
    const app = await buildApp({ ctx, logger, version: VERSION })

    return {
      config,
      logger,
      database,
      app,
      async start() {
        const address = await app.listen({ port: config.port, host: config.host })
        logger.info({ address, database: database.kind }, 'openc2c listening')
        return address
      },
      async stop() {
        await app.close()
        await database.close()
      },
    }
  } catch (err) {
    if (!options.database) await database.close().catch(() => {})
    throw err
  }
}
