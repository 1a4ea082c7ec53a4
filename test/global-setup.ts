// Runs once before the suite. With TEST_DATABASE_URL the suite runs on that Postgres server (each
// test in a fresh database, see helpers/db.ts), so fail early and clearly if it is unreachable.
// Without it, build the migrated PGlite template that tests copy.
import pg from 'pg'
import { pgliteTemplate } from './helpers/db.js'

export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) {
    await pgliteTemplate()
    return
  }
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    await client.query('select 1')
  } catch (err) {
    throw new Error(`TEST_DATABASE_URL is set but Postgres is unreachable (${url}): ${(err as Error).message}`)
  } finally {
    await client.end().catch(() => {})
  }
}
