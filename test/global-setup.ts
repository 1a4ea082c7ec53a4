// Runs once before the suite. When TEST_DATABASE_URL is set, the suite runs on that Postgres server
// (each test file in a fresh database, see test/helpers/db.ts); fail early and clearly if it is unreachable.
import pg from 'pg'

export default async function setup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) return
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
