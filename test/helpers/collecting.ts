// A service with its scheduler on, pointed at the fake Compliance API, plus a source to collect
// with. For runtime tests that inspect exactly what was stored.
import { sql } from 'kysely'
import { startFakeCompliance, type FakeCompliance, type FakeComplianceOptions } from '../fakes/chatgpt/index.js'
import { startTestService, type TestService } from './app.js'

/** Fast timings for tests: tight polling and leases, millisecond retries, no upstream budget. */
export const FAST_RUNTIME_ENV = {
  OPENC2C_SCHEDULER: 'on',
  OPENC2C_SCHEDULER_POLL_MS: '100',
  OPENC2C_LEASE_SECONDS: '5',
  OPENC2C_UPSTREAM_RETRY_BASE_MS: '5',
  OPENC2C_RUN_RETRY_BASE_MS: '50',
  OPENC2C_UPSTREAM_REQUESTS_PER_MINUTE: '0',
}

export interface Collecting {
  t: TestService
  fake: FakeCompliance
  collectorId: number
  /** Creates a ChatGPT Compliance source against the fake; returns its id. */
  createSource(config?: Record<string, unknown>): Promise<number>
  sourcePath(sourceId: number): string
  source(sourceId: number): Promise<any>
  /** Every stored event_id of the source (from the table; duplicates would show as a shorter set than rows). */
  storedEventIds(sourceId: number): Promise<{ ids: Set<string>; rows: number }>
  runs(sourceId: number): Promise<any[]>
  restart(sourceId: number): Promise<void>
  /** Polls until `check` returns true (or throws after timeoutMs with the last state). */
  waitFor(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>
  /** Waits until the source has a finished run newer than `afterRunId` and returns that run. */
  waitForRun(sourceId: number, afterRunId?: number, timeoutMs?: number): Promise<any>
  close(): Promise<void>
}

export async function startCollecting(options: { env?: Record<string, string>; fake?: FakeComplianceOptions } = {}): Promise<Collecting> {
  const fake = await startFakeCompliance({ rateLimitPerMinute: 0, ...options.fake })
  const t = await startTestService({ ...FAST_RUNTIME_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl, ...options.env })
  const collectorId = (await t.request('POST', '/api/v1/collectors', { collector: { name: 'chatgpt', category: 'compliance' } })).json().collector.id
  let counter = 0
  const c: Collecting = {
    t,
    fake,
    collectorId,
    async createSource(config = {}) {
      const res = await t.request('POST', `/api/v1/collectors/${collectorId}/sources`, {
        source: {
          sourceType: 'Universal',
          schemaRef: { type: 'ChatGPT Compliance' },
          config: { name: `chatgpt-${++counter}`, workspaceID: fake.workspaceId, apiKey: fake.apiKey, ...config },
        },
      })
      if (res.statusCode !== 201) throw new Error(`create source: ${res.statusCode} ${res.body}`)
      return res.json().source.id
    },
    sourcePath: (sourceId) => `/api/v1/collectors/${collectorId}/sources/${sourceId}`,
    async source(sourceId) {
      return (await t.request('GET', c.sourcePath(sourceId))).json().source
    },
    async storedEventIds(sourceId) {
      const rows = await t.service.database.db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).execute()
      return { ids: new Set(rows.map((r) => r.event_id)), rows: rows.length }
    },
    async runs(sourceId) {
      return (await t.request('GET', `${c.sourcePath(sourceId)}/runs`)).json().runs
    },
    async restart(sourceId) {
      const res = await t.request('POST', `${c.sourcePath(sourceId)}/action/restart`)
      if (res.statusCode !== 200) throw new Error(`restart: ${res.statusCode} ${res.body}`)
    },
    async waitFor(check, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (await check()) return
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async waitForRun(sourceId, afterRunId = 0, timeoutMs = 30_000) {
      let found: any
      await c.waitFor(
        async () => {
          const runs = await c.runs(sourceId)
          // The first run to finish after afterRunId (the list is newest first): a later run may
          // already be done by the time this looks, and is not the one the caller waits for.
          found = runs.filter((r: any) => r.id > afterRunId && r.status !== 'running').at(-1)
          return found !== undefined
        },
        `a finished run of source ${sourceId} after run ${afterRunId}`,
        timeoutMs,
      )
      return found
    },
    async close() {
      await t.close()
      await fake.close()
    },
  }
  return c
}

/** Makes a source due again now (instead of waiting its polling interval), as the scheduler would. */
export async function makeDue(c: Collecting, sourceId: number): Promise<void> {
  await sql`update source_leases set next_run_at = now() where source_id = ${sourceId}`.execute(c.t.service.database.db)
  c.t.service.scheduler?.wake()
}

/** The stored events of the source are exactly `expected`: nothing missing, nothing extra, no row twice. */
export async function expectExactlyStored(c: Collecting, sourceId: number, expected: Set<string>): Promise<void> {
  // Imported here so that scripts outside vitest (benchmarks, the demo) can use this module.
  const { expect } = await import('vitest')
  const stored = await c.storedEventIds(sourceId)
  expect(stored.rows, 'one row per event_id').toBe(stored.ids.size)
  expect([...stored.ids].sort()).toEqual([...expected].sort())
}
