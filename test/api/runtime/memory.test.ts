// Memory of the real service process while it ingests one 1 GiB log file (262 144 events of 4 KiB):
// the file is spooled to disk and stream-parsed, so the peak RSS must stay under 256 MiB however
// large the file is. VmHWM (the kernel's peak RSS of the process) is read after ingestion, before
// the process stops. Every event must be stored.
//
// On embedded PGlite the database's WASM heap and compiled code live in the service process as well;
// with Liftoff-only WASM compilation, 8 MB of shared buffers and quarter-size batches (see
// api/store/database.ts and api/service.ts) it measured idle ~148 MiB, peak ~220 MiB on this file
// (before: idle ~212 MiB, peak ~281 MiB). (Postgres: idle ~93 MiB, peak ~166 MiB.)
import { describe, expect, it } from 'vitest'
import { startFakeCompliance } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { startService } from '../../helpers/service.js'
import { compareSets, noDifference } from './exact-set.js'
import { processMemory } from './process-memory.js'
import { createChatGptSource, createCollector, getRuns, waitUntil } from './service-api.js'
import { openServiceDatabase, readStoredEvents } from './stored-events.js'

const BUDGET_MIB = 256
const FILE_BYTES = 2 ** 30
const EVENT_BYTES = 4096
const EVENTS = FILE_BYTES / EVENT_BYTES

describe('memory while ingesting a 1 GiB file', () => {
  it(`peak RSS of the service stays under ${BUDGET_MIB} MiB, and all ${EVENTS} events are stored`, { timeout: 360_000 }, async () => {
    const say = (line: string) => process.stdout.write(`memory.test.ts: ${line}\n`)
    const t0 = Date.now()
    const fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    let service: Awaited<ReturnType<typeof startService>> | undefined
    try {
      // Generated while it is served: the fake holds no copy of the body.
      const file = fake.addLogFile('CONVERSATION_MESSAGE', { generate: { count: EVENTS, bytesPerEvent: EVENT_BYTES } })
      expect(file.file_size).toBe(FILE_BYTES)
      say(`published ${FILE_BYTES / 2 ** 20} MiB, ${EVENTS} events, in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

      service = await startService({ env: { ...FAST_RUNTIME_ENV, OPENC2C_LEASE_SECONDS: '10', OPENC2C_CHATGPT_BASE_URL: fake.baseUrl } })
      const pid = service.child.pid!
      const idle = processMemory(pid)
      const collectorId = await createCollector(service)
      const started = Date.now()
      const sourceId = await createChatGptSource(service, collectorId, fake, { enabledEventType: ['CONVERSATION'] })

      // Samples say in which phase the peak came (the assertion uses VmHWM, which misses nothing).
      let sampledPeak = { mib: 0, atS: 0, phase: '' }
      const sampler = setInterval(() => {
        const now = processMemory(pid).rssMiB
        if (now > sampledPeak.mib) sampledPeak = { mib: now, atS: (Date.now() - started) / 1000, phase: fake.requestsTo('signed').length > 0 ? 'after the download began' : 'before the download' }
      }, 250)
      let run: Awaited<ReturnType<typeof getRuns>>[number] | undefined
      try {
        await waitUntil(
          async () => {
            run = (await getRuns(service!, collectorId, sourceId, 1))[0]
            return run !== undefined && run.status !== 'running'
          },
          'the 1 GiB run to finish',
          300_000,
          500,
        )
      } finally {
        clearInterval(sampler)
      }
      const ingestS = (Date.now() - started) / 1000
      const peak = processMemory(pid)
      say(
        `ingested in ${ingestS.toFixed(1)} s (${Math.round(EVENTS / ingestS)} events/s, ${(FILE_BYTES / 2 ** 20 / ingestS).toFixed(1)} MiB/s) on ${usingPostgres ? 'Postgres' : 'embedded PGlite'}; ` +
          `RSS idle ${idle.rssMiB.toFixed(0)} MiB, peak (VmHWM) ${peak.peakRssMiB.toFixed(0)} MiB, highest sample ${sampledPeak.mib.toFixed(0)} MiB at ${sampledPeak.atS.toFixed(1)} s (${sampledPeak.phase})`,
      )
      expect(run).toMatchObject({ status: 'succeeded', origins: 1, eventsStored: EVENTS, duplicatesSkipped: 0, quarantined: 0 })

      // The stored set is exactly the file's ids (read after a clean stop, so PGlite can be opened here).
      expect(await service.stop()).toBe(0)
      const database = await openServiceDatabase(service)
      try {
        const stored = await readStoredEvents(database, sourceId)
        expect(stored.rows).toBe(EVENTS)
        const expected = fake.expectedEventIds()
        expect(compareSets(stored.ids, expected)).toEqual(noDifference(EVENTS))
      } finally {
        await database.close()
      }

      // The budget in MiB, as container memory limits count it (256M = 256 MiB).
      expect(peak.peakRssMiB, `peak RSS ${peak.peakRssMiB.toFixed(0)} MiB (idle ${idle.rssMiB.toFixed(0)} MiB) must be < ${BUDGET_MIB} MiB`).toBeLessThan(BUDGET_MIB)
    } finally {
      await service?.destroy()
      await fake.close()
      say(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`)
    }
  })
})
