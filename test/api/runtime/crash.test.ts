// Crash safety of the real service process: SIGKILL it 21 times while it collects, at every kind of
// point (before a run's first commit, mid-file, between files, between event types, at random),
// restart it on the same database and data directory each time, and require the exact event set
// and consistent run records (crash-scenario.ts). Runs on embedded PGlite and on Postgres
// (TEST_DATABASE_URL). Kills with a slow or faulty upstream are in crash-faults.test.ts.
//
// Kill points and delays come from a seeded generator; the seed is printed, and CRASH_SEED=<n>
// replays a failure (as far as timing allows: the points are found from the service's behaviour).
import crypto from 'node:crypto'
import { describe, it } from 'vitest'
import { usingPostgres } from '../../helpers/db.js'
import { killSchedule, publishFiles, runCrashScenario } from './crash-scenario.js'

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : crypto.randomInt(2 ** 31)
process.stdout.write(`crash.test.ts: seed ${SEED} (replay with CRASH_SEED=${SEED}), database ${usingPostgres ? 'Postgres' : 'embedded PGlite'}\n`)

describe('SIGKILL and restart while collecting', () => {
  it('21 kills at every kind of point: the stored set is exact and the runs show the interruptions', { timeout: 600_000 }, async () => {
    await runCrashScenario({
      name: 'kills',
      seed: SEED,
      // Collected in this order: a small type, a medium one, then the bulk, so "between types" comes early.
      types: ['AUTH', 'AUDIT', 'CONVERSATION'],
      publish(fake) {
        // ~105 000 events, ~125 MiB: half a minute of work without kills, so every kill lands
        // mid-collection. Large files span several 4 MiB batches, so there is a "mid-file".
        publishFiles(fake, 'AUTH_LOG', 10, 150, 150, 1)
        publishFiles(fake, 'AUDIT_LOG', 20, 200, 9000, 10)
        publishFiles(fake, 'CONVERSATION_MESSAGE', 40, 300, 12000, 6)
      },
      // The first kill comes before anything was ever committed, the second between the first two
      // types (later ones would mostly wait in vain: the last type holds the bulk of the work).
      points: killSchedule(SEED, ['before-first-commit', 'between-types'], {
        'mid-file': 6,
        'between-files': 5,
        'before-first-commit': 4,
        random: 4,
      }),
    })
  })
})
