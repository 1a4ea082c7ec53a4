// Test databases. With TEST_DATABASE_URL every caller gets a fresh database on that server; without
// it, a fresh embedded PGlite directory. initdb of PGlite costs ~4 s, so a migrated template
// directory is made once per migration set and copied (~50 ms) for each test.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { type Database, openDatabase } from '../../api/store/database.js'
import { migrateToLatest } from '../../api/store/migrator.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL)

export interface TestDatabaseLocation {
  /** A fresh Postgres database's URL, when TEST_DATABASE_URL is set. */
  databaseUrl?: string
  /** A fresh, migrated PGlite directory otherwise. */
  pgliteDir?: string
  cleanup(): Promise<void>
}

async function migrationsHash(): Promise<string> {
  const dir = path.join(ROOT, 'migrations')
  const hash = crypto.createHash('sha256')
  for (const file of (await fs.readdir(dir)).sort()) hash.update(file).update(await fs.readFile(path.join(dir, file)))
  return hash.digest('hex').slice(0, 16)
}

/** Builds (once) a migrated PGlite directory to copy from. Safe against concurrent callers. */
export async function pgliteTemplate(): Promise<string> {
  // Kept on purpose between runs, in the suite's one cache folder (beside the built provider).
  const dir = path.join(os.tmpdir(), 'openc2c-test-cache', `pglite-template-${await migrationsHash()}`)
  await fs.mkdir(path.dirname(dir), { recursive: true })
  try {
    await fs.access(path.join(dir, 'PG_VERSION'))
    return dir
  } catch {}
  const scratch = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`
  const database = await openDatabase({ pgliteDir: scratch })
  await migrateToLatest(database.db)
  await database.close()
  try {
    await fs.rename(scratch, dir)
  } catch {
    await fs.rm(scratch, { recursive: true, force: true }) // someone else won the race
  }
  return dir
}

/** @param serverUrl a Postgres server to create the database on; null forces PGlite. */
export async function createTestDatabaseLocation(serverUrl: string | null = process.env.TEST_DATABASE_URL ?? null): Promise<TestDatabaseLocation> {
  if (serverUrl) {
    const name = `openc2c_test_${Date.now().toString(36)}_${crypto.randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`create database ${name}`)
    await admin.end()
    const url = new URL(serverUrl)
    url.pathname = `/${name}`
    return {
      databaseUrl: url.toString(),
      async cleanup() {
        const client = new pg.Client({ connectionString: serverUrl })
        await client.connect()
        await client.query(`drop database if exists ${name} with (force)`)
        await client.end()
      },
    }
  }
  const template = await pgliteTemplate()
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-pglite-'))
  const pgliteDir = path.join(dir, 'pgdata')
  await fs.cp(template, pgliteDir, { recursive: true })
  return { pgliteDir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) }
}

export interface TestDatabase {
  database: Database
  location: TestDatabaseLocation
  close(): Promise<void>
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const location = await createTestDatabaseLocation()
  const database = await openDatabase({ databaseUrl: location.databaseUrl, pgliteDir: location.pgliteDir })
  await migrateToLatest(database.db)
  return {
    database,
    location,
    async close() {
      await database.close()
      await location.cleanup()
    },
  }
}
