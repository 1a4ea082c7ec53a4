// The run loop of one replica. Every poll it claims due sources up to its concurrency limit and
// runs them. Replicas coordinate only through Postgres (the lease rows), so any number can run, and
// OPENC2C_SCHEDULER=off gives an API-only replica. Retention has its own timer (retention.ts), so
// neither delays the other.
import { executeRun, newWorkerId, type RunDeps, type RunOutcome } from './source-run.js'

export interface SchedulerOptions {
  /** What every run needs; the scheduler claims through deps.leases and logs to deps.logger. */
  deps: RunDeps
  pollMs: number
  maxConcurrentRuns: number
  owner?: string
}

export class Scheduler {
  readonly owner: string
  readonly #running = new Map<number, Promise<RunOutcome>>()
  readonly #stop = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #ticking: Promise<void> | undefined
  /** A wake-up arrived while a tick was running: that tick may have looked before the news. */
  #wokenDuringTick = false

  constructor(private readonly options: SchedulerOptions) {
    this.owner = options.owner ?? newWorkerId()
  }

  start(): void {
    this.options.deps.logger.info({ owner: this.owner, pollMs: this.options.pollMs, maxConcurrentRuns: this.options.maxConcurrentRuns }, 'scheduler started')
    this.#schedule(0)
  }

  /** Claims now instead of at the next poll (after a restart action, say). */
  wake(): void {
    if (this.#stop.signal.aborted) return
    // The running tick may already have passed its last claim; tick again as soon as it ends
    // rather than leaving the request to the next poll.
    if (this.#ticking) this.#wokenDuringTick = true
    else this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stop.abort()
    clearTimeout(this.#timer)
    await this.#ticking
    await Promise.allSettled(this.#running.values())
  }

  get runningSources(): number[] {
    return [...this.#running.keys()]
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      if (this.#ticking) {
        this.#wokenDuringTick = true
        return
      }
      this.#wokenDuringTick = false
      this.#ticking = this.tick()
        .catch((err) => this.options.deps.logger.error({ err }, 'scheduler tick failed'))
        .finally(() => {
          this.#ticking = undefined
          if (!this.#stop.signal.aborted) this.#schedule(this.#wokenDuringTick ? 0 : this.options.pollMs)
        })
    }, ms)
  }

  /** One poll: claim what is due (up to the limit) and start it. */
  async tick(): Promise<void> {
    const { deps } = this.options
    while (!this.#stop.signal.aborted && this.#running.size < this.options.maxConcurrentRuns) {
      const claim = await deps.leases.claim(this.owner, deps.leaseMs, [...this.#running.keys()])
      if (!claim) break
      const run: Promise<RunOutcome> = executeRun(claim, deps, this.#stop.signal).finally(() => {
        if (this.#running.get(claim.sourceId) === run) this.#running.delete(claim.sourceId)
        // A free slot may take the next due source right away.
        if (!this.#stop.signal.aborted) this.wake()
      })
      this.#running.set(claim.sourceId, run)
    }
  }
}
