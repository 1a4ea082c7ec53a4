// Several service processes on one Postgres: the lease rows are the only coordination. Each process
// talks to its own twin of the fake (identical content), so every upstream request can be attributed
// to the process that made it, and compared with the runs table (start, finish, owner).
//
// Postgres only: two processes cannot share an embedded PGlite directory.
import fs from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { ComplianceEventType, FakeCompliance, RecordedRequest } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { compareSets, noDifference } from './exact-set.js'
import { requestEventType } from './request-watch.js'
import { api, createChatGptSource, createCollector, getRuns, getSource, sourcePath, waitUntil } from './service-api.js'
import { openServiceDatabase, readRuns, readStoredEvents, type StoredRun } from './stored-events.js'
import { startTwinFakes, type TwinFakes } from './twin-fakes.js'

const LEASE_SECONDS = 3
const SKIP_REASON = 'multi-process tests need Postgres (TEST_DATABASE_URL): two processes cannot share an embedded PGlite directory'
if (!usingPostgres) process.stdout.write(`multi-process.test.ts: skipped — ${SKIP_REASON}\n`)

/** Sumo short name → the upstream type its source collects. */
const TYPES: [string, ComplianceEventType][] = [
  ['CONVERSATION', 'CONVERSATION_MESSAGE'],
  ['AUDIT', 'AUDIT_LOG'],
  ['AUTH', 'AUTH_LOG'],
  ['CODEX', 'CODEX_LOG'],
  ['APP', 'APP_LOG'],
  ['APP_AUTH', 'APP_AUTH_LOG'],
]

interface Cluster {
  twins: TwinFakes
  processes: RunningService[]
  close(): Promise<void>
}

function envFor(fake: FakeCompliance, extra: Record<string, string> = {}): Record<string, string> {
  return { ...FAST_RUNTIME_ENV, OPENC2C_LEASE_SECONDS: String(LEASE_SECONDS), OPENC2C_CHATGPT_BASE_URL: fake.baseUrl, ...extra }
}

/** Starts `first` on a fresh database; more processes join it with `join`. */
async function startCluster(seed: number): Promise<Cluster & { first(env?: Record<string, string>): Promise<RunningService>; join(twin: 0 | 1, env?: Record<string, string>): Promise<RunningService> }> {
  const twins = await startTwinFakes(seed)
  const processes: RunningService[] = []
  return {
    twins,
    processes,
    async first(env = {}) {
      const p = await startService({ env: envFor(twins.fakes[0], env) })
      processes.push(p)
      return p
    },
    // Sharing the first process's database, secret key and credentials, but with a data directory of
    // its own, as on another host: a starting service empties its spool directory.
    async join(twin, env = {}) {
      const first = processes[0]!
      const p = await startService({ reuse: { ...first, dataDir: `${first.dataDir}-${processes.length}` }, env: envFor(twins.fakes[twin], env) })
      processes.push(p)
      return p
    },
    async close() {
      for (const p of processes.slice(1).reverse()) {
        await p.kill()
        await fs.rm(p.dataDir, { recursive: true, force: true })
      }
      await processes[0]?.destroy()
      await twins.close()
    },
  }
}

/** The run whose interval holds the request, from the runs of the request's source. */
function runHolding(runs: StoredRun[], request: RecordedRequest): StoredRun | undefined {
  const at = Date.parse(request.at)
  // started_at has microseconds and request.at milliseconds: compare at millisecond precision.
  return runs.find((r) => Math.floor(r.startedAt.getTime()) <= at && r.finishedAt !== null && at <= r.finishedAt.getTime())
}

function ownerPid(owner: string): number {
  return Number(owner.split('-')[0])
}

// The three tests run side by side: each has its own database, processes and fakes.
describe.concurrent('several processes on one Postgres', () => {
  it.skipIf(!usingPostgres)('two processes, six sources, slow bodies: no source ever runs twice at once, both processes work, every set is exact', { timeout: 180_000 }, async () => {
    const cluster = await startCluster(11)
    try {
      const { twins } = cluster
      for (const [, type] of TYPES) twins.publish(type, 6, 400)
      // ~3 MB per source at ~1.6 MB/s: each run takes a few seconds, so runs of both processes overlap in time.
      twins.slowBodies(16 * 1024, 10)
      const a = await cluster.first({ OPENC2C_MAX_CONCURRENT_RUNS: '2' })
      const b = await cluster.join(1, { OPENC2C_MAX_CONCURRENT_RUNS: '2' })
      const collectorId = await createCollector(a)
      const sources = new Map<number, ComplianceEventType>()
      for (const [short, type] of TYPES) sources.set(await createChatGptSource(a, collectorId, twins.fakes[0], { name: short, enabledEventType: [short] }), type)

      await waitUntil(
        async () => (await Promise.all([...sources.keys()].map((id) => getRuns(a, collectorId, id, 1)))).every((runs) => runs[0]?.status === 'succeeded'),
        'every source to finish',
        150_000,
        200,
      )
      const database = await openServiceDatabase(a)
      try {
        const runs = await readRuns(database, [...sources.keys()])
        const pidOf = new Map([
          [a.child.pid!, 0],
          [b.child.pid!, 1],
        ])
        process.stdout.write(
          `multi-process: ${runs.length} runs; process A ran ${runs.filter((r) => ownerPid(r.owner) === a.child.pid).length}, B ${runs.filter((r) => ownerPid(r.owner) === b.child.pid).length}\n`,
        )
        // Without kills or lost leases, each source ran once, and it succeeded.
        expect(runs.map((r) => r.status)).toEqual(runs.map(() => 'succeeded'))
        expect(new Set(runs.map((r) => r.sourceId)).size).toBe(runs.length)
        // Both processes did work.
        expect(new Set(runs.map((r) => pidOf.get(ownerPid(r.owner))))).toEqual(new Set([0, 1]))

        for (const [sourceId, type] of sources) {
          const own = runs.filter((r) => r.sourceId === sourceId).sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime())
          // Runs of one source never overlap.
          for (let i = 1; i < own.length; i++) expect(own[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(own[i - 1]!.finishedAt!.getTime())
          // Each request for this source's type reached the twin of the process that owned a run of
          // this source at that moment; the other twin saw nothing for it while that run lasted.
          for (const [twin, fake] of twins.fakes.entries()) {
            const requests = fake.requests.filter((r) => requestEventType(fake, r) === type)
            for (const request of requests) {
              const run = runHolding(own, request)
              expect(run, `${type} ${request.route} at ${request.at} by process ${twin} is inside a run`).toBeDefined()
              expect(pidOf.get(ownerPid(run!.owner)), `${type} ${request.route} at ${request.at} came from the run's owner`).toBe(twin)
            }
          }
          const stored = await readStoredEvents(database, sourceId)
          expect(stored.rows).toBe(stored.ids.size)
          expect(compareSets(stored.ids, twins.fakes[0].expectedEventIds(type))).toEqual(noDifference(twins.fakes[0].expectedEventIds(type).size))
        }
      } finally {
        await database.close()
      }
    } finally {
      await cluster.close()
    }
  })

  it.skipIf(!usingPostgres)('SIGKILL of the process holding a source: the other takes it over only after the lease expires, and completes it exactly', { timeout: 180_000 }, async () => {
    const cluster = await startCluster(12)
    try {
      const { twins } = cluster
      twins.publish('CONVERSATION_MESSAGE', 12, 800)
      // ~11 MB at ~1.6 MB/s: the run lasts several seconds, long enough to kill it mid-way.
      twins.slowBodies(16 * 1024, 10)
      const a = await cluster.first()
      const collectorId = await createCollector(a)
      // A creates the source and claims it at once (the API wakes its own scheduler).
      const sourceId = await createChatGptSource(a, collectorId, twins.fakes[0], { enabledEventType: ['CONVERSATION'] })
      // B joins while A holds the source; it polls every 100 ms but must not claim it.
      const b = await cluster.join(1)
      await waitUntil(async () => ((await getRuns(a, collectorId, sourceId, 1))[0]?.origins ?? 0) >= 2, "A's run to complete 2 files", 60_000, 25)
      expect(twins.fakes[1].requests).toEqual([])

      await a.kill()
      const killedAt = new Date()
      const database = await openServiceDatabase(b)
      try {
        // Nobody renews A's lease any more, so this is when it ends.
        const lease = await database.db.selectFrom('source_leases').select(['lease_owner', 'lease_expires_at']).where('source_id', '=', sourceId).executeTakeFirstOrThrow()
        expect(ownerPid(lease.lease_owner!)).toBe(a.child.pid)
        const expiresAt = new Date(lease.lease_expires_at!)
        expect(expiresAt.getTime()).toBeGreaterThan(killedAt.getTime())

        await waitUntil(async () => (await getRuns(b, collectorId, sourceId, 1))[0]?.status === 'succeeded', 'B to complete the source', 120_000, 100)
        const runs = await readRuns(database, [sourceId])
        expect(runs.map((r) => [r.status, ownerPid(r.owner)])).toEqual([
          ['interrupted', a.child.pid],
          ['succeeded', b.child.pid],
        ])
        // B claimed after the expiry, not before, and its first upstream request came after that too.
        expect(runs[1]!.startedAt.getTime()).toBeGreaterThan(expiresAt.getTime())
        const firstOfB = twins.fakes[1].requests[0]!
        expect(Date.parse(firstOfB.at)).toBeGreaterThan(expiresAt.getTime())
        const since = (t: number) => `+${t - killedAt.getTime()} ms`
        process.stdout.write(
          `multi-process: A killed with ${runs[0]!.origins} files done; lease expired ${since(expiresAt.getTime())}, B claimed ${since(runs[1]!.startedAt.getTime())}, B's first request ${since(Date.parse(firstOfB.at))}\n`,
        )
        // A's requests all came before it died.
        expect(twins.fakes[0].requests.every((r) => Date.parse(r.at) <= killedAt.getTime())).toBe(true)
        // B resumed where A stopped: the files A completed were not downloaded again.
        const doneByA = new Set(twins.fakes[0].requestsTo('signed', 200).map((r) => r.fileId))
        const downloadedByB = new Set(twins.fakes[1].requestsTo('signed', 200).map((r) => r.fileId))
        expect(runs[0]!.origins).toBeGreaterThanOrEqual(2)
        expect(doneByA.size + downloadedByB.size - [...doneByA].filter((id) => downloadedByB.has(id)).length).toBe(12)
        expect([...doneByA].filter((id) => downloadedByB.has(id)).length).toBeLessThanOrEqual(1)
        expect(runs[0]!.origins + runs[1]!.origins).toBe(12)

        const stored = await readStoredEvents(database, sourceId)
        const expected = twins.fakes[0].expectedEventIds()
        expect(stored.rows).toBe(stored.ids.size)
        expect(compareSets(stored.ids, expected)).toEqual(noDifference(expected.size))
        expect(runs[0]!.eventsStored + runs[1]!.eventsStored).toBe(expected.size)
        expect(runs[1]!.duplicatesSkipped).toBe(0)
      } finally {
        await database.close()
      }
    } finally {
      await cluster.close()
    }
  })

  it.skipIf(!usingPostgres)('OPENC2C_SCHEDULER=off: an API-only replica serves the API but never claims; a scheduling replica collects', { timeout: 120_000 }, async () => {
    const cluster = await startCluster(13)
    try {
      const { twins } = cluster
      twins.publish('AUDIT_LOG', 4, 50)
      const apiOnly = await cluster.first({ OPENC2C_SCHEDULER: 'off' })
      expect(apiOnly.output()).toMatch(/"scheduler":"off".*"msg":"openc2c listening"/)
      const collectorId = await createCollector(apiOnly)
      const sourceId = await createChatGptSource(apiOnly, collectorId, twins.fakes[0], { enabledEventType: ['AUDIT'] })
      // A restart request, too: it wakes only a scheduler in this process, and there is none.
      await api(apiOnly, 'POST', `${sourcePath(collectorId, sourceId)}/action/restart`)

      // 20 polls' worth of a scheduling replica (100 ms) with the source due: nothing happens.
      await new Promise((r) => setTimeout(r, 2000))
      expect(await getRuns(apiOnly, collectorId, sourceId)).toEqual([])
      expect(twins.fakes[0].requests).toEqual([])
      const database = await openServiceDatabase(apiOnly)
      try {
        const lease = await database.db.selectFrom('source_leases').select(['lease_owner', 'generation']).where('source_id', '=', sourceId).executeTakeFirstOrThrow()
        expect(lease).toEqual({ lease_owner: null, generation: 0 })
      } finally {
        await database.close()
      }

      // A scheduling replica collects it; the API-only replica shows the result.
      const worker = await cluster.join(1)
      await waitUntil(async () => (await getRuns(apiOnly, collectorId, sourceId, 1))[0]?.status === 'succeeded', 'the worker to collect the source', 60_000, 100)
      expect((await getSource(apiOnly, collectorId, sourceId)).state).toEqual({ state: 'Collecting' })
      const ids = new Set<string>()
      let after: string | null = null
      do {
        const page: { events: { id: string }[]; next: string | null } = await api(apiOnly, 'GET', `${sourcePath(collectorId, sourceId)}/events?limit=50${after ? `&after=${after}` : ''}`)
        for (const e of page.events) ids.add(e.id)
        after = page.next
      } while (after)
      const expected = twins.fakes[1].expectedEventIds()
      expect(compareSets(ids, expected)).toEqual(noDifference(expected.size))
      expect(twins.fakes[0].requests).toEqual([])
      expect(twins.fakes[1].requestsTo('signed', 200)).toHaveLength(4)
      void worker
    } finally {
      await cluster.close()
    }
  })
})
