// The service leg of `npm run bench:ingest`: the real service process (as `npm start` runs it) on a
// fresh database, one ChatGPT Compliance source with every type enabled, timed from the source's
// creation until its run has succeeded. Progress and RSS are sampled every second; the peak RSS is
// the kernel's VmHWM of the process, read before it stops.
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FakeCompliance } from '../../test/fakes/chatgpt/index.js'
import { processMemory } from '../../test/api/runtime/process-memory.js'
import { createChatGptSource, createCollector, getRuns, type RunView } from '../../test/api/runtime/service-api.js'
import { startService } from '../../test/helpers/service.js'

export interface ServiceLegOptions {
  fake: FakeCompliance
  /** A Postgres server to create the database on; null for embedded PGlite. */
  serverUrl: string | null
  enabledEventType: string[]
  expectedEvents: number
  /** Writes a CPU profile of the service into this directory. */
  profileDir?: string
  /** Extra node flags for the service, e.g. V8 heap settings. */
  nodeArgs?: string[]
  onProgress: (line: string) => void
}

export interface ServiceResult {
  seconds: number
  events: number
  duplicates: number
  peakRssMiB: number
  idleRssMiB: number
  profile?: string
}

export async function runServiceLeg(o: ServiceLegOptions): Promise<ServiceResult> {
  const service = await startService({
    serverUrl: o.serverUrl,
    nodeArgs: [...(o.nodeArgs ?? []), ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])],
    env: {
      OPENC2C_SCHEDULER: 'on',
      OPENC2C_SCHEDULER_POLL_MS: '200',
      // The bench measures the pipeline, not the production request budget (90/min).
      OPENC2C_UPSTREAM_REQUESTS_PER_MINUTE: '0',
      OPENC2C_CHATGPT_BASE_URL: o.fake.baseUrl,
    },
  })
  try {
    const pid = service.child.pid!
    const idleRssMiB = processMemory(pid).rssMiB
    const collectorId = await createCollector(service, 'bench')
    const started = process.hrtime.bigint()
    const sourceId = await createChatGptSource(service, collectorId, o.fake, { name: 'bench', enabledEventType: o.enabledEventType })
    let run: RunView | undefined
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000))
      run = (await getRuns(service, collectorId, sourceId, 1))[0]
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9
      const stored = run?.eventsStored ?? 0
      o.onProgress(
        `${stored}/${o.expectedEvents} events (${((100 * stored) / o.expectedEvents).toFixed(0)}%), ${Math.round(stored / elapsed)} events/s, RSS ${processMemory(pid).rssMiB.toFixed(0)} MiB`,
      )
      if (run && run.status !== 'running') break
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    if (run.status !== 'succeeded') throw new Error(`the run ended ${run.status}: ${JSON.stringify(run.errors)}`)
    const peakRssMiB = processMemory(pid).peakRssMiB
    let profile: string | undefined
    if (o.profileDir) {
      // The profile is written when the process exits normally.
      await service.stop()
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (tsx's
      // loader thread writes one too).
      const name = (await fs.readdir(o.profileDir)).find((n) => new RegExp(`\\.${pid}\\.0\\.\\d+\\.cpuprofile$`).test(n))
      profile = name ? path.join(o.profileDir, name) : undefined
    }
    return { seconds, events: run.eventsStored, duplicates: run.duplicatesSkipped, peakRssMiB, idleRssMiB, ...(profile ? { profile } : {}) }
  } finally {
    await service.destroy()
  }
}
