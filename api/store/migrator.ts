// Runs the migrations in migrations/ with Kysely's Migrator, which takes a lock so that several
// replicas starting at once on one Postgres apply each migration exactly once.
import { type Kysely, Migrator } from 'kysely'
import { migrations } from '../../migrations/index.js'

/** The migrator over migrations/, with openc2c's own bookkeeping tables. */
export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'openc2c_migrations',
    migrationLockTableName: 'openc2c_migrations_lock',
  })
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error')
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${reason}`)
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
