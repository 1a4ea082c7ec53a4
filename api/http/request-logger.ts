// Per-request loggers that cost nothing until they log. Fastify gives every request a child of the
// service logger (bound to its request id); a pino child serializes its bindings through the
// redaction rules when it is made, and at the default level a successful request never logs a line.
// So the child is made on the first line a request actually writes (its share of the per-request
// cost is in BENCHMARKS.md, `npm run bench:api`).
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

/** A FastifyBaseLogger that makes its pino child on the first line at an enabled level. */
export class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.parent.level
  }

  set level(level: string) {
    this.#real().level = level
  }

  isLevelEnabled(level: Level): boolean {
    return this.#child ? (this.#child as Logger).isLevelEnabled(level) : this.parent.isLevelEnabled(level)
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.#write('error', args)
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args)
  }
  info(...args: unknown[]): void {
    this.#write('info', args)
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }

  #real(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings))
  }

  #write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.#real()[level] as (...a: unknown[]) => void)(...args)
  }
}

/**
 * Fastify's `childLoggerFactory`. Routes that set their own log level or serializers get a real
 * child at once (none do today); every other request gets a LazyRequestLogger.
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  const pinoLogger = logger as Logger
  if (options.level || options.serializers || typeof pinoLogger.isLevelEnabled !== 'function') return logger.child(bindings, options)
  return new LazyRequestLogger(pinoLogger, bindings) as unknown as FastifyBaseLogger
}

/** Whether `logger` writes lines at `level`; Fastify's null logger (no logger configured) has no levels to ask. */
export function isLevelEnabled(logger: FastifyBaseLogger, level: Level): boolean {
  const ask = (logger as Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled
  return typeof ask === 'function' ? ask.call(logger, level) : true
}
