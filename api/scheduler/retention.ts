// Retention: deletes what is older than OPENC2C_EVENT_RETENTION_DAYS on a timer of its own. Apart
// from the scheduler's poll on purpose: a long tick must not postpone pruning indefinitely, and a
// long prune (millions of rows) must not delay claims. Every replica with the scheduler on prunes;
// concurrent prunes of the same rows are harmless.
import type { Logger } from 'pino'
import type { EventsRepository } from '../store/events-repository.js'

export interface RetentionOptions {
  events: Pick<EventsRepository, 'prune'>
  logger: Logger
  retentionDays: number
  everyMs: number
}

export class RetentionPruner {
  #timer: NodeJS.Timeout | undefined
  #pruning: Promise<void> | undefined
  #stopped = false
  readonly #stopping = new AbortController()

  constructor(private readonly options: RetentionOptions) {}

  /** Prunes now, then every `everyMs` after the previous prune ended (never two at once). */
  start(): void {
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    // A prune with a backlog stops after its current batch, so shutdown stays within its deadline.
    this.#stopping.abort()
    await this.#pruning
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#pruning = this.prune().finally(() => {
        this.#pruning = undefined
        if (!this.#stopped) this.#schedule(this.options.everyMs)
      })
    }, ms)
    // Not a reason to keep the process alive on its own.
    this.#timer.unref()
  }

  async prune(): Promise<void> {
    try {
      const pruned = await this.options.events.prune(this.options.retentionDays, this.#stopping.signal)
      if (pruned.events + pruned.quarantined + pruned.runs > 0) this.options.logger.info(pruned, 'pruned data older than the retention period')
    } catch (err) {
      this.options.logger.error({ err }, 'retention pruning failed; retrying at the next interval')
    }
  }
}
