// `npm run migrate`: applies pending migrations and exits (they also run at every start).
import path from 'node:path'
import { ConfigError, loadConfig } from './config.js'
import { createLogger } from './logger.js'
import { DataDirError, prepareDataDir } from './store/data-dir.js'
import { openDatabase } from './store/database.js'
import { migrateToLatest } from './store/migrator.js'

try {
  const config = loadConfig()
  await prepareDataDir(config.dataDir, createLogger(config))
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: path.join(config.dataDir, 'pgdata') })
  try {
    const applied = await migrateToLatest(database.db)
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
  } finally {
    await database.close()
  }
} catch (err) {
  const expected = err instanceof ConfigError || err instanceof DataDirError
  process.stderr.write(`openc2c migrate: ${expected ? err.message : ((err as Error).stack ?? err)}\n`)
  process.exit(expected ? 2 : 1)
}
