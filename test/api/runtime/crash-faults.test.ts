// Kills while the upstream misbehaves: SIGKILL and restart the real service process while file
// bodies and listings trickle in slowly, and while the upstream answers 5xx and 429, truncates
// bodies, hands out expired signed URLs, re-lists the boundary file and repeats events across files.
// The stored set must still be exact, with duplicates and quarantined records counted exactly
// (crash-scenario.ts). Runs on embedded PGlite and on Postgres (TEST_DATABASE_URL).
//
// The seed is printed; CRASH_SEED=<n> replays it.
import crypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { FakeCompliance } from '../../fakes/chatgpt/index.js'
import { usingPostgres } from '../../helpers/db.js'
import { killSchedule, publishFiles, runCrashScenario } from './crash-scenario.js'

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : crypto.randomInt(2 ** 31)
process.stdout.write(`crash-faults.test.ts: seed ${SEED} (replay with CRASH_SEED=${SEED}), database ${usingPostgres ? 'Postgres' : 'embedded PGlite'}\n`)

// The two scenarios run side by side (their processes, fakes and databases are separate): the slow
// one mostly waits on the upstream, so this roughly halves the file's wall time on 2 cores.
describe.concurrent('SIGKILL and restart while the upstream misbehaves', () => {
  it('kills during slow bodies and slow listings: the stored set is exact', { timeout: 600_000 }, async () => {
    await runCrashScenario({
      name: 'slow',
      seed: SEED + 1,
      types: ['AUDIT', 'CONVERSATION'],
      publish(fake) {
        // ~32 000 events, ~38 MiB, delivered at ~6 MiB/s: most kills land inside a download.
        publishFiles(fake, 'AUDIT_LOG', 10, 200, 6000, 5)
        publishFiles(fake, 'CONVERSATION_MESSAGE', 10, 300, 8000, 5)
      },
      checkRequests(fake) {
        expect(fake.requestsTo('signed').filter((r) => r.fault === 'slow').length).toBeGreaterThan(0)
        expect(fake.requestsTo('list').filter((r) => r.fault === 'slow').length).toBeGreaterThan(0)
      },
      // Every process gets slow bodies and listings again (queued faults are used up).
      arm(fake: FakeCompliance) {
        fake.clearFaults()
        fake.slowNext('signed', { chunkBytes: 32 * 1024, delayMs: 5 }, 10_000)
        fake.slowNext('list', { chunkBytes: 1024, delayMs: 20 }, 10_000)
      },
      points: killSchedule(SEED + 1, ['before-first-commit'], { random: 2, 'mid-file': 1, 'between-files': 1 }),
    })
  })

  it('kills with 5xx, 429, truncated bodies, expired URLs, boundary re-listing, repeats, late and malformed lines: exact set and counts', { timeout: 600_000 }, async () => {
    await runCrashScenario({
      name: 'faults',
      seed: SEED + 2,
      types: ['AUDIT', 'CONVERSATION'],
      publish(fake) {
        // File content faults, fixed when published: repeated events (true duplicates), late events,
        // malformed lines (quarantined), concatenated JSON and a missing final newline.
        const content = (i: number) => ({
          ...(i > 0 && i % 3 === 1 ? { repeatEvents: 3 } : {}),
          ...(i % 5 === 2 ? { malformedLines: 2 } : {}),
          ...(i % 6 === 3 ? { lateEvents: 2 } : {}),
          ...(i === 4 ? { format: 'concatenated' as const } : {}),
          ...(i === 7 ? { finalNewline: false } : {}),
        })
        // 40 files: enough that work is left for the last kill point even when a random kill comes late on a
        // fast machine (with 20, one run on Postgres finished every file before its between-files kill).
        publishFiles(fake, 'AUDIT_LOG', 20, 200, 6000, 5, content)
        publishFiles(fake, 'CONVERSATION_MESSAGE', 20, 300, 8000, 5, content)
      },
      // Transport faults for every process, each within the client's retry budget (6 attempts).
      arm(fake: FakeCompliance) {
        fake.clearFaults()
        fake.faults.inclusiveBoundary = true
        fake.failNext('list', 503, 1)
        fake.failNext('download', 500, 1)
        fake.rateLimitNext('download', 0, 1)
        // The signed listener answers a queued 5xx before it looks at the expiry, so the first expired
        // URL meets the 502 and the second one is refused as expired (403).
        fake.expireNextSignedUrls(2)
        fake.failNext('signed', 502, 1)
        fake.truncateNext('signed', {}, 1)
      },
      points: killSchedule(SEED + 2, ['before-first-commit'], { 'mid-file': 2, 'between-files': 1, random: 1 }),
      checkRequests(fake) {
        const faults = new Set(fake.requests.map((r) => `${r.route} ${r.fault ?? r.status}`))
        for (const seen of ['list server_error', 'download server_error', 'download rate_limited', 'signed 403', 'signed server_error', 'signed truncated']) {
          expect(faults).toContain(seen)
        }
      },
    })
  })
})
