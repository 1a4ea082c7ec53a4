// Notifications of changed rows (LISTEN on a channel fed by triggers, see migration 0003), so that
// in-memory caches stay coherent across replicas. On Postgres a dedicated connection listens and
// reconnects after a failure; while it is down the feed reports itself unhealthy and caches must
// not serve. On PGlite there is one process, and notifications arrive in-process.
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { Logger } from 'pino'

export interface ChangeFeed {
  /** True while every change is being delivered. */
  readonly healthy: boolean
  /** `onChange(payload)` per notification; `onGap()` whenever notifications may have been missed. */
  subscribe(onChange: (payload: string) => void, onGap: () => void): void
  close(): Promise<void>
}

abstract class BaseFeed implements ChangeFeed {
  protected readonly changeHandlers: ((payload: string) => void)[] = []
  protected readonly gapHandlers: (() => void)[] = []
  abstract readonly healthy: boolean

  subscribe(onChange: (payload: string) => void, onGap: () => void): void {
    this.changeHandlers.push(onChange)
    this.gapHandlers.push(onGap)
  }

  protected emitChange(payload: string): void {
    for (const handler of this.changeHandlers) handler(payload)
  }

  protected emitGap(): void {
    for (const handler of this.gapHandlers) handler()
  }

  abstract close(): Promise<void>
}

export class PostgresChangeFeed extends BaseFeed {
  #client: pg.Client | undefined
  #connected = false
  #closed = false
  #retryTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger: Logger | undefined,
  ) {
    super()
  }

  static async start(url: string, channel: string, logger?: Logger): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, channel, logger)
    await feed.#connect().catch(() => feed.#scheduleReconnect(1000))
    return feed
  }

  get healthy(): boolean {
    return this.#connected
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url })
    client.on('notification', (message) => this.emitChange(message.payload ?? ''))
    const lost = (err?: Error) => {
      if (this.#client !== client) return
      this.#client = undefined
      this.#connected = false
      this.emitGap()
      if (!this.#closed) {
        this.logger?.warn({ err }, 'change feed connection lost; caches are bypassed until it is back')
        this.#scheduleReconnect(1000)
      }
      client.end().catch(() => {})
    }
    client.on('error', lost)
    client.on('end', () => lost())
    await client.connect()
    await client.query(`listen ${this.channel}`)
    this.#client = client
    this.#connected = true
    // Anything may have changed while we were not listening.
    this.emitGap()
  }

  #scheduleReconnect(ms: number): void {
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => {
      if (this.#closed) return
      this.#connect().catch(() => this.#scheduleReconnect(Math.min(ms * 2, 30_000)))
    }, ms)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#connected = false
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}

export class PgliteChangeFeed extends BaseFeed {
  #unlisten: (() => Promise<void>) | undefined
  readonly healthy = true

  static async start(pglite: PGlite, channel: string): Promise<PgliteChangeFeed> {
    const feed = new PgliteChangeFeed()
    feed.#unlisten = await pglite.listen(channel, (payload) => feed.emitChange(payload))
    return feed
  }

  async close(): Promise<void> {
    await this.#unlisten?.().catch(() => {})
  }
}
