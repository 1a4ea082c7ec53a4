// One Kysely instance over either a Postgres server (pg Pool) or embedded PGlite. Both speak the
// same SQL, so every repository and migration runs unchanged on each; tests run the suite on both.
import fs from 'node:fs/promises'
import path from 'node:path'
import v8 from 'node:v8'
import type { PGlite, PGliteOptions } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import { type ChangeFeed, PgliteChangeFeed, PostgresChangeFeed } from './change-feed.js'
import { DataDirError, PRIVATE_DIR_MODE, makeOwnerOnly } from './data-dir.js'
import type { Tables } from './tables.js'

export type DatabaseKind = 'postgres' | 'pglite'

export interface Database {
  db: Kysely<Tables>
  kind: DatabaseKind
  /** Postgres only: the pool, for COPY and other driver-level work. */
  pool: pg.Pool | undefined
  /** Listens on a notification channel (a dedicated connection on Postgres). */
  changeFeed(channel: string, logger?: Logger): Promise<ChangeFeed>
  close(): Promise<void>
}

// int8 (COUNT(*), bigint ids) arrives as a string by default; every id and count we use stays far
// below 2^53, so numbers are safe and keep the API's ids JSON integers.
const INT8_OID = 20

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent, PGlite is used. */
  databaseUrl?: string | undefined
  /** PGlite directory; `memory://` for an in-memory database. */
  pgliteDir?: string
  poolSize?: number
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    })
    // An idle client that loses its server emits 'error' on the pool; without a listener that
    // would crash the process instead of failing the next query (which /healthz then reports).
    pool.on('error', () => {})
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
    const url = options.databaseUrl
    return { db, kind: 'postgres', pool, changeFeed: (channel, logger) => PostgresChangeFeed.start(url, channel, logger), close: () => db.destroy() }
  }
  const dir = options.pgliteDir ?? 'memory://'
  const pglite = await openPglite(dir)
  // Loaded only here: a service on Postgres should not carry the embedded database's module.
  const { PGliteDialect } = await import('kysely-pglite-dialect')
  const db = new Kysely<Tables>({ dialect: new PGliteDialect(pglite) })
  return { db, kind: 'pglite', pool: undefined, changeFeed: (channel) => PgliteChangeFeed.start(pglite, channel), close: () => db.destroy() }
}

async function openPglite(dir: string): Promise<PGlite> {
  useBaselineWasmCompilerOnly()
  const { PGlite } = await import('@electric-sql/pglite')
  const options: PGliteOptions = {
    parsers: { [INT8_OID]: (value: string) => Number(value) },
    // The embedded database lives in the service's own memory. Postgres' default 128 MB of shared
    // buffers made an idle service ~130 MB larger (measured); its data files still sit in the OS
    // page cache, so a small buffer pool costs little. PGlite touches the whole pool at startup
    // (measured: WASM heap resident 29 MiB with 16MB, 21 MiB with 8MB); 8MB ingested a 1 GiB file
    // no slower than 16MB.
    postgresqlconf: ['shared_buffers = 8MB'],
  }
  if (dir.startsWith('memory://')) return PGlite.create(dir, options)
  if (await needsInitdb(dir)) {
    // initdb of a new PGlite directory takes ~4 s; a process killed during it leaves a directory that
    // opens but lacks the catalog. Initialise into a scratch directory and rename it into place, so
    // the data directory is either absent or complete. PGlite copies its initdb output with mode
    // 0666 whatever the umask, so the copy is made private before it takes the real name.
    const scratch = `${dir}.init-${process.pid}`
    await fs.rm(scratch, { recursive: true, force: true })
    await fs.mkdir(path.dirname(dir), { recursive: true, mode: PRIVATE_DIR_MODE })
    const fresh = await PGlite.create(scratch, options)
    await fresh.close()
    await makeOwnerOnly(scratch)
    // rmdir, not rm: only ever an empty folder (needsInitdb), never files.
    await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    await fs.rename(scratch, dir)
  }
  const pglite = await PGlite.create(dir, options)
  // PGlite's file layer applies a umask of its own (022) to the files Postgres writes through fopen:
  // the relation cache files (pg_internal.init), which Postgres rewrites only as a session starts.
  // They come out 0644 whatever the process umask, so the tree is made private again once open.
  await makeOwnerOnly(dir)
  return pglite
}

// What a complete Postgres data directory always has; PGlite re-creates a directory that lacks
// PG_VERSION without a word, which over a damaged database would lose it.
const DATA_DIR_MARKERS = ['PG_VERSION', 'global/pg_control', 'base']

/** True for an absent or empty directory; throws for one that holds files but not a whole database. */
async function needsInitdb(dir: string): Promise<boolean> {
  let entries: string[]
  try {
    entries = await fs.readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw err
  }
  if (entries.length === 0) return true
  const missing: string[] = []
  for (const marker of DATA_DIR_MARKERS) if (!(await exists(path.join(dir, marker)))) missing.push(marker)
  if (missing.length > 0) {
    throw new DataDirError(
      `the embedded database in ${dir} looks damaged: it holds ${entries.length} entries but no ${missing.join(', ')}. ` +
        'openc2c does not create a new database over existing files. Restore the directory from a backup, ' +
        'or move it aside to start with an empty database.',
    )
  }
  return false
}

/**
 * PGlite's Postgres is a 9 MB WebAssembly module that V8 compiles lazily with its baseline compiler
 * (Liftoff) and then recompiles hot functions with its optimizing one (TurboFan) on background
 * threads. TurboFan's working memory is malloc'd and glibc keeps it afterwards: measured, an idle
 * PGlite process was ~45 MiB larger with tier-up than with Liftoff alone (standalone PGlite: 168 vs
 * 119 MiB RSS), for no measurable change in insert throughput (ingestion here is bound by I/O and
 * the JS side). Liftoff supports every instruction of the module (checked by compiling all of it
 * eagerly with --liftoff-only on x64). The flag only concerns WebAssembly, and must be set before the
 * module is compiled; it applies to the whole process, so it is set only when PGlite is opened.
 */
function useBaselineWasmCompilerOnly(): void {
  v8.setFlagsFromString('--liftoff-only')
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  )
}

/** Resolves when the database answers; used by /healthz. */
export async function pingDatabase(db: Kysely<Tables>): Promise<void> {
  await sql`select 1`.execute(db)
}
