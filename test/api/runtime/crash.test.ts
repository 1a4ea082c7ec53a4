// Crash safety of the real service process: SIGKILL it again and again while it collects, restart
// it on the same database and data directory, and require the stored events to equal the fake's
// published set exactly — nothing missing, nothing twice — with the runs table showing the
// interrupted runs and counters that add up (each event stored by exactly one run, each file
// completed by exactly one run). Runs on embedded PGlite and on Postgres (TEST_DATABASE_URL).
//
// Kill points and delays come from a seeded generator; the seed is printed, and CRASH_SEED=<n>
// replays a failure.
import crypto from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { createRng, type ComplianceEventType, type FakeCompliance, type LogFileInfo, startFakeCompliance } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { compareSets, noDifference } from './exact-set.js'
import { type KillPoint, type KillRecord, killAndRestart } from './kill-loop.js'
import { createChatGptSource, createCollector, getRuns, waitUntil } from './service-api.js'
import { openServiceDatabase, readRuns, readStoredEvents, type StoredRun } from './stored-events.js'

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : crypto.randomInt(2 ** 31)
process.stdout.write(`crash.test.ts: seed ${SEED} (replay with CRASH_SEED=${SEED}), database ${usingPostgres ? 'Postgres' : 'embedded PGlite'}\n`)

// A 2 s lease: a killed process's source is claimed again ~2 s later, shorter than a restart takes.
const LEASE_SECONDS = 2

let fake: FakeCompliance | undefined
let service: RunningService | undefined
afterEach(async () => {
  await service?.destroy()
  await fake?.close()
  service = undefined
  fake = undefined
})

interface Scenario {
  name: string
  seed: number
  /** Enabled Sumo short names; the runner collects them in this order. */
  types: string[]
  publish(fake: FakeCompliance): void
  points: KillPoint[]
  /** Re-arms the fake's transport faults for the next process (queued faults are used up). */
  arm?(fake: FakeCompliance): void
  /** Run statuses allowed besides 'interrupted' and the final 'succeeded'. */
  otherStatuses?: string[]
}

/** Files of `type`: `count` of `small` events each, except every `largeEvery`-th, which has `large`. */
function publishFiles(fake: FakeCompliance, type: ComplianceEventType, count: number, small: number, large: number, largeEvery: number, options: (i: number) => object = () => ({})): LogFileInfo[] {
  const files: LogFileInfo[] = []
  for (let i = 0; i < count; i++) {
    files.push(fake.addLogFile(type, { generate: { count: i % largeEvery === largeEvery - 1 ? large : small } }, options(i)))
  }
  return files
}

/** The first kill is before anything was ever committed; the rest are shuffled with the seed. */
function killSchedule(seed: number, first: KillPoint[], rest: Partial<Record<KillPoint, number>>): KillPoint[] {
  const rng = createRng(seed)
  const pool = Object.entries(rest).flatMap(([point, n]) => Array.from({ length: n }, () => point as KillPoint))
  for (let i = pool.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return [...first, ...pool]
}

async function runScenario(s: Scenario): Promise<void> {
  const started = Date.now()
  fake = await startFakeCompliance({ rateLimitPerMinute: 0, seed: s.seed })
  s.publish(fake)
  const files = fake.files()
  const expected = fake.expectedEventIds()
  const repeatedLines = files.reduce((n, f) => n + f.repeatedEventIds.length, 0)
  const malformedLines = files.reduce((n, f) => n + f.malformedLineCount, 0)
  const log = (line: string) => process.stdout.write(`[${s.name}] ${line}\n`)
  log(`${files.length} files, ${(files.reduce((n, f) => n + f.file_size, 0) / 2 ** 20).toFixed(0)} MiB, ${expected.size} distinct events, seed ${s.seed}`)

  const env = { ...FAST_RUNTIME_ENV, OPENC2C_LEASE_SECONDS: String(LEASE_SECONDS), OPENC2C_CHATGPT_BASE_URL: fake.baseUrl }
  s.arm?.(fake)
  service = await startService({ env })
  const collectorId = await createCollector(service)
  const sourceId = await createChatGptSource(service, collectorId, fake, { enabledEventType: s.types })

  const result = await killAndRestart({
    fake,
    service,
    env,
    collectorId,
    sourceId,
    points: s.points,
    rng: createRng(s.seed ^ 0x5eed),
    afterKill: () => s.arm?.(fake!),
    log,
  })
  service = result.service
  const kills = result.kills

  const last = service
  await waitUntil(async () => (await getRuns(last, collectorId, sourceId, 1))[0]?.status === 'succeeded', 'a succeeded run after the last restart', 240_000, 200)
  // A clean stop, so this process can open the embedded database directory too.
  expect(await service.stop()).toBe(0)
  const database = await openServiceDatabase(service)
  let stored: Awaited<ReturnType<typeof readStoredEvents>>
  let runs: StoredRun[]
  let quarantined: number
  try {
    stored = await readStoredEvents(database, sourceId)
    runs = await readRuns(database, [sourceId])
    quarantined = Number(
      (await database.db.selectFrom('quarantined_records').select((eb) => eb.fn.countAll<number>().as('n')).where('source_id', '=', sourceId).executeTakeFirstOrThrow()).n,
    )
  } finally {
    await database.close()
  }

  const statuses = countBy(runs.map((r) => r.status))
  log(`kills: ${JSON.stringify(countBy(kills.map((k) => `${k.point}${k.triggered ? '' : ' (fallback)'}`)))}`)
  log(`runs: ${JSON.stringify(statuses)}; stored ${stored.rows} rows; ${Math.round((Date.now() - started) / 1000)} s`)

  // The exact set: nothing lost, nothing stored twice.
  expect(stored.duplicated.size).toBe(0)
  expect(stored.rows).toBe(stored.ids.size)
  expect(compareSets(stored.ids, expected)).toEqual(noDifference(expected.size))
  expect(quarantined).toBe(malformedLines)

  // Every run but the last was cut short by a kill (or, with faults, failed and was retried).
  expect(runs.at(-1)?.status).toBe('succeeded')
  expect(runs.filter((r) => r.status === 'running')).toEqual([])
  const allowed = new Set(['interrupted', 'succeeded', ...(s.otherStatuses ?? [])])
  expect(Object.keys(statuses).filter((status) => !allowed.has(status))).toEqual([])
  // A killed process that had started its run left that run open; the next claim closed it as interrupted.
  const killedMidRun = kills.filter((k) => k.requests > 0 && !k.workDone).length
  expect(statuses.interrupted ?? 0).toBeGreaterThanOrEqual(killedMidRun)
  expect(killedMidRun).toBeGreaterThan(0)

  // Exactly-once bookkeeping: a resumed run skips what an earlier run committed, so every event is
  // counted as stored by exactly one run, only true repeats count as duplicates, and each file is
  // completed by exactly one run.
  expect(sum(runs.map((r) => r.eventsStored))).toBe(expected.size)
  expect(sum(runs.map((r) => r.duplicatesSkipped))).toBe(repeatedLines)
  expect(sum(runs.map((r) => r.files))).toBe(files.length)

  // The kills landed where they were meant to, and while there was work left.
  const planned = new Set(s.points)
  const triggered = new Set(kills.filter((k) => k.triggered).map((k) => k.point))
  expect([...planned].filter((p) => !triggered.has(p))).toEqual([])
  expect(kills.filter((k) => !k.workDone).length).toBe(kills.length)
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1
  return counts
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

function describeKills(kills: KillRecord[]): string {
  return kills.map((k) => `${k.index + 1}. ${k.point}${k.triggered ? '' : ' (fallback)'} — ${k.detail}`).join('\n')
}
void describeKills

describe('SIGKILL and restart while collecting', () => {
  it('21 kills at every kind of point: the stored set is exact and the runs show the interruptions', { timeout: 600_000 }, async () => {
    await runScenario({
      name: 'kills',
      seed: SEED,
      types: ['AUTH', 'AUDIT', 'CONVERSATION'],
      publish(f) {
        // ~92 000 events, ~110 MiB: tens of seconds of work, so every kill lands mid-collection.
        // Large files span several 4 MiB batches, so there is a "mid-file".
        publishFiles(f, 'AUTH_LOG', 10, 150, 150, 1)
        publishFiles(f, 'AUDIT_LOG', 20, 200, 9000, 10)
        publishFiles(f, 'CONVERSATION_MESSAGE', 30, 300, 12000, 6)
      },
      points: killSchedule(SEED, ['before-first-commit', 'between-types'], {
        'mid-file': 5,
        'between-files': 5,
        'between-types': 1,
        'before-first-commit': 4,
        random: 4,
      }),
    })
  })
})
