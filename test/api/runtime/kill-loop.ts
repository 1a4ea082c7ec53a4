// Kills a service process (SIGKILL) at chosen points of its work and restarts it on the same
// database and data directory, again and again. Each kill point is found from what the service
// does, not from a clock, so "between two files" really is between two files:
//
//   before-first-commit  the run's first file body has been requested (plus 0-20 ms); nothing of this
//                        run is committed yet
//   mid-file             a batch of a file committed but not the whole file; killed 0-150 ms later,
//                        often inside the next batch's transaction
//   between-files        the next file's download request arrived: the previous file's last batch and
//                        its cursor move just committed
//   between-types        the listing of another event type arrived after files of one type: that
//                        type's final cursor move just committed
//   random               a seeded delay of 0-2.5 s after the process started listening (start-up,
//                        lease wait, claim, anything)
//
// Request-based points are armed before the process starts, so a fast process cannot pass the point
// unseen. A point that does not come within `fallbackMs` is replaced by a kill at that time, and the
// record says so.
import type { ChildProcess } from 'node:child_process'
import type { FakeCompliance, RecordedRequest, Rng } from '../../fakes/chatgpt/index.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { onRequest } from './request-watch.js'
import { getRuns, type RunView } from './service-api.js'

export const KILL_POINTS = ['before-first-commit', 'mid-file', 'between-files', 'between-types', 'random'] as const
export type KillPoint = (typeof KILL_POINTS)[number]

export interface KillRecord {
  index: number
  point: KillPoint
  /** False when the point never came and the kill fell back to `fallbackMs`. */
  triggered: boolean
  /** When the SIGKILL was sent. */
  at: Date
  /** Milliseconds from "listening" to the kill. */
  aliveMs: number
  /** What happened, for the printed log (the file id, the event counts seen, …). */
  detail: string
  /** Upstream requests this process made; 0 means it died before its run reached the upstream. */
  requests: number
}

export interface KillLoopOptions {
  fake: FakeCompliance
  /** Environment of every process (the first one and each restart). */
  env: Record<string, string>
  /** Runs once, after the first process listens: create the collector and the source, say. */
  prepare: (service: RunningService) => Promise<{ collectorId: number; sourceId: number }>
  points: KillPoint[]
  rng: Rng
  fallbackMs?: number
  /** Called after each kill, before the restart: re-arm the fake's faults, say. */
  afterKill?: (record: KillRecord) => void
  log?: (line: string) => void
}

export interface KillLoopResult {
  /** The process started after the last kill, running. */
  service: RunningService
  kills: KillRecord[]
  /** Warnings and errors the killed processes logged (pino level ≥ 40), for diagnosis. */
  problems: string[]
  collectorId: number
  sourceId: number
}

export async function killAndRestart(options: KillLoopOptions): Promise<KillLoopResult> {
  const { fake, rng, env } = options
  const fallbackMs = options.fallbackMs ?? 10_000
  const log = options.log ?? (() => {})
  let service: RunningService | undefined
  let ids: { collectorId: number; sourceId: number } | undefined
  // The newest process, known from the moment it is spawned, so a request trigger can kill it even
  // before its "listening" line has been read.
  let child: ChildProcess | undefined
  const onSpawn = (c: ChildProcess) => {
    child = c
  }
  const kills: KillRecord[] = []
  const problems: string[] = []
  try {
    await loop()
  } catch (err) {
    // Leave no process behind: the caller only knows about the first one.
    child?.kill('SIGKILL')
    throw err
  }
  if (!service || !ids) throw new Error('no kill points')
  return { service: await startService({ reuse: service, env }), kills, problems, ...ids }

  async function loop() {
    for (const [index, point] of options.points.entries()) {
      const firstRequest = fake.requests.length
      const trigger = armRequestTrigger(point, fake, rng, () => child)
      try {
        if (service) service = await startService({ reuse: service, env, onSpawn })
        else {
          service = await startService({ env, onSpawn })
          ids = await options.prepare(service)
        }
        const listeningAt = Date.now()
        const context: KillContext = { service, collectorId: ids!.collectorId, sourceId: ids!.sourceId, rng, fallbackMs }
        const outcome = point === 'random' ? await waitRandom(context) : point === 'mid-file' ? await waitMidFile(context) : await trigger.wait(fallbackMs)
        // A request trigger has already sent the signal; this sends it otherwise, and waits for the exit.
        const at = new Date()
        await service.kill()
        problems.push(...warningsIn(service.output()).map((line) => `process ${index + 1}: ${line}`))
        const record: KillRecord = { index, point, at, aliveMs: at.getTime() - listeningAt, requests: fake.requests.length - firstRequest, ...outcome }
        kills.push(record)
        log(
          `kill ${index + 1}/${options.points.length}: ${point}${record.triggered ? '' : ' (fallback)'} after ${record.aliveMs} ms, ${
            record.requests
          } requests; ${record.detail}`
        )
        options.afterKill?.(record)
      } finally {
        trigger.disarm()
      }
    }
  }
}

interface KillContext {
  service: RunningService
  collectorId: number
  sourceId: number
  rng: Rng
  fallbackMs: number
}

interface Outcome {
  triggered: boolean
  detail: string
}

interface RequestTrigger {
  wait(fallbackMs: number): Promise<Outcome>
  disarm(): void
}

/**
 * before-first-commit, between-files and between-types: the deciding request is seen synchronously,
 * and the process is killed before the fake answers it.
 */
function armRequestTrigger(point: KillPoint, fake: FakeCompliance, rng: Rng, current: () => ChildProcess | undefined): RequestTrigger {
  if (point !== 'before-first-commit' && point !== 'between-files' && point !== 'between-types')
    return { wait: async () => ({ triggered: false, detail: '' }), disarm: () => {} }
  const typeOf = new Map(fake.files(undefined, { includeExpired: true }).map((f) => [f.id, f.event_type]))
  const filesStarted = new Set<string>()
  const typesDownloaded = new Set<string>()
  // between-files: the 2nd to 4th file of this process, so the ones before it completed in this run.
  const nthFile = rng.between(2, 4)
  const delayMs = point === 'before-first-commit' ? rng.int(21) : 0
  let outcome: Outcome | undefined
  let readyAt = 0
  let resolveWait: (() => void) | undefined
  const fire = (detail: string) => {
    if (outcome) return
    stop()
    if (delayMs === 0) current()?.kill('SIGKILL')
    outcome = { triggered: true, detail: delayMs === 0 ? detail : `${detail}, +${delayMs} ms` }
    readyAt = Date.now() + delayMs
    resolveWait?.()
  }
  const stop = onRequest(fake, (r: RecordedRequest) => {
    const type = r.route === 'list' ? r.query.find(([k]) => k === 'event_type')?.[1] : r.fileId !== undefined ? typeOf.get(r.fileId) : undefined
    if (point === 'before-first-commit' && r.route === 'signed' && r.status === 200) {
      fire(`first body of ${type} file ${r.fileId}`)
    } else if (point === 'between-files' && r.route === 'download' && r.fileId !== undefined && !filesStarted.has(r.fileId)) {
      filesStarted.add(r.fileId)
      if (filesStarted.size === nthFile) fire(`download request of this process's file #${nthFile} (${type} ${r.fileId})`)
    } else if (point === 'between-types' && r.route === 'list' && type !== undefined && typesDownloaded.size > 0 && !typesDownloaded.has(type)) {
      fire(`listing of ${type} after files of ${[...typesDownloaded].join(', ')}`)
    }
    if (r.route === 'download' && type !== undefined) typesDownloaded.add(type)
  })
  return {
    async wait(fallbackMs) {
      if (!outcome) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, fallbackMs)
          resolveWait = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      if (!outcome) {
        stop()
        return { triggered: false, detail: `no ${point} within ${fallbackMs} ms` }
      }
      // before-first-commit kills a few milliseconds after the request, not at it.
      await sleep(Math.max(0, readyAt - Date.now()))
      return outcome
    },
    disarm: stop,
  }
}

async function waitRandom(k: KillContext): Promise<Outcome> {
  const ms = k.rng.int(2501)
  await sleep(ms)
  return { triggered: true, detail: `${ms} ms after listening` }
}

/** mid-file: polls the run's counters until a commit added events without completing a file. */
async function waitMidFile(k: KillContext): Promise<Outcome> {
  const deadline = Date.now() + k.fallbackMs
  let previous: RunView | undefined
  while (Date.now() < deadline) {
    const run = (await getRuns(k.service, k.collectorId, k.sourceId, 1).catch(() => []))[0]
    if (run?.status === 'running') {
      if (previous && previous.id === run.id && run.origins === previous.origins && run.eventsStored > previous.eventsStored) {
        const ms = k.rng.int(151)
        await sleep(ms)
        return { triggered: true, detail: `run ${run.id} had ${run.eventsStored} events and file #${run.origins + 1} partly committed; +${ms} ms` }
      }
      previous = run
    }
    await sleep(25)
  }
  return { triggered: false, detail: `no partial file commit within ${k.fallbackMs} ms` }
}

/** pino lines at warn (40) or above. */
export function warningsIn(output: string): string[] {
  return output.split('\n').filter((line) => /"level":(4|5|6)0/.test(line))
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
