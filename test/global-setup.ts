// Runs once before the suite. The database the suite runs on:
// - TEST_DATABASE_URL set: that Postgres server (each test file creates a fresh database on it);
// - TEST_POSTGRES=container: a throwaway Postgres from testcontainers (needs a Docker engine), whose
//   URL is then exported as TEST_DATABASE_URL for the test workers;
// - neither: embedded PGlite, copied per test from a migrated template built here once.
import pg from 'pg'
import { pgliteTemplate } from './helpers/db.js'
import { serviceEntry } from './helpers/service-bundle.js'

export default async function setup(): Promise<() => Promise<void>> {
  // Build the service bundle once up front rather than in the first test that spawns the service.
  await serviceEntry()
  let teardown = async (): Promise<void> => {}
  if (!process.env.TEST_DATABASE_URL && process.env.TEST_POSTGRES === 'container') {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
    let container
    try {
      container = await new PostgreSqlContainer('postgres:15').start()
    } catch (err) {
      throw new Error(`TEST_POSTGRES=container needs a Docker engine: ${(err as Error).message}`)
    }
    process.env.TEST_DATABASE_URL = container.getConnectionUri()
    teardown = async () => {
      await container.stop()
    }
  }
  const url = process.env.TEST_DATABASE_URL
  if (!url) {
    await pgliteTemplate()
    return teardown
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
  return teardown
}
