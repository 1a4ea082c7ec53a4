// A service process that is paused for longer than its lease (a long GC pause, CPU starvation, a
// frozen VM or container, a laptop's sleep) loses the lease while its run is still in progress. When
// it resumes, it must let that run end before it runs the same source again: two runs of one source
// at once in one process share the source's spool files and the scheduler's bookkeeping of running
// sources. The pause is made with SIGSTOP/SIGCONT, three times, each while a file is being parsed
// and committed. The stored set must stay exact.
import { describe, expect, it } from 'vitest'
import { startFakeCompliance } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { startService } from '../../helpers/service.js'
import { compareSets, noDifference } from './exact-set.js'
import { createChatGptSource, createCollector, getRuns, type RunView, waitUntil } from './service-api.js'
import { openServiceDatabase, readStoredEvents } from './stored-events.js'

const LEASE_SECONDS = 2

/** "run started" / "run ended" of one source from the service's JSON log, in order. */
function runLog(output: string, sourceId: number): { msg: string; time: number; generation?: number; outcome?: string }[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((e) => e.sourceId === sourceId && (e.msg === 'run started' || e.msg === 'run ended'))
}

describe('a process paused for longer than its lease', () => {
  it('does not start the same source again while its own earlier run is still running', { timeout: 180_000 }, async () => {
    const fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    // Large files: most of a run is parsing and committing (which no abort signal interrupts).
    fake.addGeneratedFiles('AUDIT_LOG', 4, 25_000)
    const service = await startService({ env: { ...FAST_RUNTIME_ENV, OPENC2C_LEASE_SECONDS: String(LEASE_SECONDS), OPENC2C_CHATGPT_BASE_URL: fake.baseUrl } })
    try {
      const collectorId = await createCollector(service)
      const sourceId = await createChatGptSource(service, collectorId, fake, { enabledEventType: ['AUDIT'] })
      for (let pause = 0; pause < 3; pause++) {
        // Wait until a batch of a file committed while the file is not complete: parsing goes on.
        let previous: RunView | undefined
        await waitUntil(
          async () => {
            const run = (await getRuns(service, collectorId, sourceId, 1))[0]
            const midFile = previous !== undefined && run !== undefined && run.id === previous.id && run.files === previous.files && run.eventsStored > previous.eventsStored
            previous = run
            return midFile
          },
          'a partly committed file',
          60_000,
          10,
        )
        service.child.kill('SIGSTOP')
        await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1000 + 1000))
        service.child.kill('SIGCONT')
      }
      await waitUntil(async () => (await getRuns(service, collectorId, sourceId, 1))[0]?.status === 'succeeded', 'the source to finish', 120_000, 100)

      // Starts and ends of this source's runs alternate: no run starts before the previous one ended.
      const events = runLog(service.output(), sourceId)
      const overlaps: string[] = []
      let open: { generation?: number; time: number } | undefined
      for (const e of events) {
        if (e.msg === 'run started') {
          if (open) overlaps.push(`generation ${e.generation} started at ${e.time} while generation ${open.generation} (started ${open.time}) was still running`)
          open = { ...(e.generation !== undefined ? { generation: e.generation } : {}), time: e.time }
        } else open = undefined
      }
      process.stdout.write(`lease-pause.test.ts (${usingPostgres ? 'Postgres' : 'PGlite'}): ${events.map((e) => `${e.msg}${e.generation ? ` ${e.generation}` : ''}${e.outcome ? ` ${e.outcome}` : ''}`).join(' → ')}\n`)
      expect(overlaps).toEqual([])

      expect(await service.stop()).toBe(0)
      const database = await openServiceDatabase(service)
      try {
        const stored = await readStoredEvents(database, sourceId)
        expect(stored.rows).toBe(stored.ids.size)
        expect(compareSets(stored.ids, fake.expectedEventIds())).toEqual(noDifference(fake.expectedEventIds().size))
      } finally {
        await database.close()
      }
    } finally {
      await service.destroy()
      await fake.close()
    }
  })
})
