// The claim loop of one replica, for whatever is leased: source runs (source-run.ts) and destination
// deliveries (delivery-session.ts) each get one. Every poll it claims due rows up to its concurrency
// limit and works on each until its end. Replicas coordinate only through Postgres (the lease rows),
// so any number can run, and OPENC2C_SCHEDULER=off gives an API-only replica. Retention has its own
// timer (retention.ts), so neither delays the other.
import crypto from 'node:crypto'
import type { Logger } from 'pino'
import type { Claim, Leases } from '../store/leases-repository.js'

export interface SchedulerOptions {
  /** What the loop claims ("source runs", "deliveries"), for its log lines. */
  name: string
  leases: Leases
  leaseMs: number
  logger: Logger
  pollMs: number
  maxConcurrent: number
  /** Works on one claim until it ends; `stopSignal` aborts when the service stops. */
  execute(claim: Claim, stopSignal: AbortSignal): Promise<unknown>
  owner?: string
}

export class Scheduler {
  readonly owner: string
  readonly #running = new Map<number, Promise<unknown>>()
  readonly #stop = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #ticking: Promise<void> | undefined
  /** A wake-up arrived while a tick was running: that tick may have looked before the news. */
  #wokenDuringTick = false

  constructor(private readonly options: SchedulerOptions) {
    this.owner = options.owner ?? newWorkerId()
  }

  start(): void {
    const { logger, name, pollMs, maxConcurrent } = this.options
    logger.info({ owner: this.owner, pollMs, maxConcurrent }, `${name}: scheduler started`)
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

  /** Ids of what this replica is working on now. */
  get runningIds(): number[] {
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
        .catch((err) => this.options.logger.error({ err }, `${this.options.name}: scheduler tick failed`))
        .finally(() => {
          this.#ticking = undefined
          if (!this.#stop.signal.aborted) this.#schedule(this.#wokenDuringTick ? 0 : this.options.pollMs)
        })
    }, ms)
  }

  /** One poll: claim what is due (up to the limit) and start it. */
  async tick(): Promise<void> {
    const { leases, leaseMs } = this.options
    while (!this.#stop.signal.aborted && this.#running.size < this.options.maxConcurrent) {
      const claim = await leases.claim(this.owner, leaseMs, [...this.#running.keys()])
      if (!claim) break
      const work: Promise<unknown> = this.options.execute(claim, this.#stop.signal).finally(() => {
        if (this.#running.get(claim.id) === work) this.#running.delete(claim.id)
        // A free slot may take the next due row right away.
        if (!this.#stop.signal.aborted) this.wake()
      })
      this.#running.set(claim.id, work)
    }
  }
}

export function newWorkerId(): string {
  return `${process.pid}-${crypto.randomBytes(4).toString('hex')}`
}
