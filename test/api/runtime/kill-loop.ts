// Kills a service process (SIGKILL) at chosen points of its work and restarts it on the same
// database and data directory, again and again. Each kill point is found from what the service
// does, not from a clock, so "between two files" really is between two files:
//
//   before-first-commit  the run's first file download has started; nothing of this run committed yet
//   mid-file             a batch of a file committed but not the whole file; killed 0-150 ms later,
//                        often inside the next batch's transaction
//   between-files        the next file's download request arrived: the previous file's last batch and
//                        its cursor move just committed
//   between-types        the listing of another event type arrived: the previous type's final cursor
//                        move just committed
//   random               a seeded delay after the process started listening (start-up, claim, anything)
//
// A point that does not come within `fallbackMs` (the work ran out, say) is replaced by a kill at that
// time, and the record says so.
import type { FakeCompliance, RecordedRequest, Rng } from '../../fakes/chatgpt/index.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { onRequest, requestEventType } from './request-watch.js'
import { getRuns, type RunView } from './service-api.js'

export const KILL_POINTS = ['before-first-commit', 'mid-file', 'between-files', 'between-types', 'random'] as const
export type KillPoint = (typeof KILL_POINTS)[number]

export interface KillRecord {
  index: number
  point: KillPoint
  /** False when the point never came and the kill fell back to `fallbackMs`. */
  triggered: boolean
  /** Milliseconds from "listening" to the kill. */
  aliveMs: number
  /** What happened, for the printed table (e.g. the file id or the event counts seen). */
  detail: string
  /** The upstream requests this process made; 0 means it was killed before its run touched the upstream. */
  requests: number
  /** A run had already succeeded when this process started, i.e. all the work was done. */
  workDone: boolean
}

export interface KillLoopOptions {
  fake: FakeCompliance
  /** The first process, already started (with `env`) and with the source created. */
  service: RunningService
  env: Record<string, string>
  collectorId: number
  sourceId: number
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
}

export async function killAndRestart(options: KillLoopOptions): Promise<KillLoopResult> {
  const { fake, env, collectorId, sourceId, rng } = options
  const fallbackMs = options.fallbackMs ?? 15_000
  const log = options.log ?? (() => {})
  let service = options.service
  const kills: KillRecord[] = []
  for (const [index, point] of options.points.entries()) {
    const runs = await getRuns(service, collectorId, sourceId, 5)
    const workDone = runs.some((r) => r.status === 'succeeded')
    const startedAt = Date.now()
    let requests = 0
    const stopCounting = onRequest(fake, () => requests++)
    let outcome: { triggered: boolean; detail: string }
    try {
      outcome = await killAt(point, { fake, service, collectorId, sourceId, rng, fallbackMs })
    } finally {
      stopCounting()
    }
    const record: KillRecord = { index, point, aliveMs: Date.now() - startedAt, requests, workDone, ...outcome }
    kills.push(record)
    log(`kill ${index + 1}/${options.points.length}: ${point}${record.triggered ? '' : ' (fallback)'} after ${record.aliveMs} ms, ${requests} requests; ${record.detail}`)
    options.afterKill?.(record)
    service = await startService({ reuse: service, env })
  }
  return { service, kills }
}

interface KillContext {
  fake: FakeCompliance
  service: RunningService
  collectorId: number
  sourceId: number
  rng: Rng
  fallbackMs: number
}

/** Waits for the point (or the fallback), SIGKILLs the process, and says what it saw. */
async function killAt(point: KillPoint, k: KillContext): Promise<{ triggered: boolean; detail: string }> {
  const kill = () => {
    // Synchronous: the signal is sent before the fake writes its answer to the request in hand.
    if (k.service.child.exitCode === null && k.service.child.signalCode === null) k.service.child.kill('SIGKILL')
  }
  let outcome: { triggered: boolean; detail: string }
  switch (point) {
    case 'random': {
      const ms = k.rng.int(3000)
      await sleep(ms)
      outcome = { triggered: true, detail: `${ms} ms after listening` }
      break
    }
    case 'mid-file':
      outcome = await killMidFile(k)
      break
    default:
      outcome = await killOnRequest(point, k)
  }
  kill()
  await k.service.kill() // waits for the exit
  return outcome
}

/** before-first-commit, between-files and between-types: decided by the request that just arrived. */
async function killOnRequest(point: KillPoint, k: KillContext): Promise<{ triggered: boolean; detail: string }> {
  const types = new Map(k.fake.files(undefined, { includeExpired: true }).map((f) => [f.id, f.event_type]))
  const typeOf = (r: RecordedRequest) => (r.fileId !== undefined ? types.get(r.fileId) : requestEventType(k.fake, r))
  const filesStarted = new Set<string>()
  const typesDownloaded = new Set<string>()
  // between-files: the 2nd to 4th file of this process, so the earlier ones completed in this run.
  const nthFile = k.rng.between(2, 4)
  const delayMs = point === 'before-first-commit' ? k.rng.int(20) : 0
  return new Promise((resolve) => {
    let done = false
    const finish = (triggered: boolean, detail: string) => {
      if (done) return
      done = true
      stop()
      clearTimeout(fallback)
      if (delayMs === 0 || !triggered) {
        resolve({ triggered, detail })
        return
      }
      setTimeout(() => resolve({ triggered, detail: `${detail}, +${delayMs} ms` }), delayMs)
      return
    }
    const stop = onRequest(k.fake, (r) => {
      const type = typeOf(r)
      if (point === 'before-first-commit' && r.route === 'signed' && r.status === 200) {
        finish(true, `first body of ${type} file ${r.fileId}`)
      } else if (point === 'between-files' && r.route === 'download' && r.fileId !== undefined && !filesStarted.has(r.fileId)) {
        filesStarted.add(r.fileId)
        if (filesStarted.size === nthFile) {
          k.service.child.kill('SIGKILL')
          finish(true, `download request of file #${nthFile} (${type} ${r.fileId})`)
        }
      } else if (point === 'between-types' && r.route === 'list' && type !== undefined && typesDownloaded.size > 0 && !typesDownloaded.has(type)) {
        k.service.child.kill('SIGKILL')
        finish(true, `listing of ${type} after files of ${[...typesDownloaded].join(', ')}`)
      }
      if (r.route === 'download' && type !== undefined) typesDownloaded.add(type)
    })
    const fallback = setTimeout(() => finish(false, `no ${point} within ${k.fallbackMs} ms`), k.fallbackMs)
  })
}

/**
 * mid-file: polls the run's counters until a commit added events without completing a file, then
 * kills 0-150 ms later.
 */
async function killMidFile(k: KillContext): Promise<{ triggered: boolean; detail: string }> {
  const deadline = Date.now() + k.fallbackMs
  let previous: RunView | undefined
  while (Date.now() < deadline) {
    const run = (await getRuns(k.service, k.collectorId, k.sourceId, 1).catch(() => []))[0]
    if (run?.status === 'running') {
      if (previous && previous.id === run.id && run.files === previous.files && run.eventsStored > previous.eventsStored) {
        const ms = k.rng.int(150)
        await sleep(ms)
        return { triggered: true, detail: `run ${run.id}: ${run.eventsStored} events stored, file #${run.files + 1} partly committed, +${ms} ms` }
      }
      previous = run
    }
    await sleep(25)
  }
  return { triggered: false, detail: `no partial file commit within ${k.fallbackMs} ms` }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
