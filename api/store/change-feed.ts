// Notifications of changed rows (LISTEN on a channel fed by triggers, see migration 0003), so that
// in-memory caches stay coherent across replicas. On Postgres a dedicated connection listens and
// reconnects after a failure; while it is down the feed reports itself unhealthy and caches must
// not serve. A listening connection is idle, so a half-open TCP connection (server gone, no FIN or
// RST) would look healthy forever: TCP keepalive and a periodic heartbeat query catch it. On
// PGlite there is one process, and notifications arrive in-process.
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

export interface HeartbeatOptions {
  /** How often the listening connection is asked `select 1`. */
  everyMs: number
  /** An answer later than this means the connection is lost. */
  timeoutMs: number
}

const DEFAULT_HEARTBEAT: HeartbeatOptions = { everyMs: 30_000, timeoutMs: 10_000 }

export class PostgresChangeFeed extends BaseFeed {
  #client: pg.Client | undefined
  #connected = false
  #closed = false
  #retryTimer: NodeJS.Timeout | undefined
  #heartbeatTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly logger: Logger | undefined,
    private readonly heartbeat: HeartbeatOptions,
  ) {
    super()
  }

  static async start(url: string, channel: string, logger?: Logger, heartbeat: HeartbeatOptions = DEFAULT_HEARTBEAT): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, channel, logger, heartbeat)
    await feed.#connect().catch(() => feed.#scheduleReconnect(1000))
    return feed
  }

  get healthy(): boolean {
    return this.#connected
  }

  async #connect(): Promise<void> {
    // Keepalive lets the kernel notice a dead peer on an idle connection (after minutes, with the
    // system's probe settings); the heartbeat below bounds the time to notice on any system.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000 })
    client.on('notification', (message) => this.emitChange(message.payload ?? ''))
    const lost = (err?: Error) => {
      if (this.#client !== client) return
      this.#client = undefined
      this.#connected = false
      clearInterval(this.#heartbeatTimer)
      this.emitGap()
      if (!this.#closed) {
        this.logger?.warn({ err }, 'change feed connection lost; caches are bypassed until it is back')
        this.#scheduleReconnect(1000)
      }
      // A half-open socket may never complete a graceful end: destroy it (ending first lets a
      // healthy server see a clean disconnect).
      client.end().catch(() => {})
      ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
    }
    client.on('error', lost)
    client.on('end', () => lost())
    await client.connect()
    await client.query(`listen ${this.channel}`)
    this.#client = client
    this.#connected = true
    this.#startHeartbeat(client, lost)
    // Anything may have changed while we were not listening.
    this.emitGap()
  }

  /** Asks the listening connection `select 1` periodically; no answer in time means it is lost. */
  #startHeartbeat(client: pg.Client, lost: (err?: Error) => void): void {
    clearInterval(this.#heartbeatTimer)
    let inFlight = false
    this.#heartbeatTimer = setInterval(() => {
      if (inFlight || this.#client !== client) return
      inFlight = true
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`change feed heartbeat: no answer within ${this.heartbeat.timeoutMs} ms`)), this.heartbeat.timeoutMs)
      })
      Promise.race([client.query('select 1'), timeout])
        .then(
          () => {},
          (err: Error) => lost(err),
        )
        .finally(() => {
          clearTimeout(timer)
          inFlight = false
        })
    }, this.heartbeat.everyMs)
    // The feed never keeps the process alive on its own.
    this.#heartbeatTimer.unref()
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
    clearInterval(this.#heartbeatTimer)
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
