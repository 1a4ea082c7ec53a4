// Environment → typed configuration. Everything is checked before anything starts, and every problem
// is reported at once with the variable's name, so a misconfigured deployment fails in one round trip.
import path from 'node:path'
import { EnvReader } from './shared/env.js'
import { builtInSourceTypes } from './sources/registry.js'
import type { SourceTypeDefinition } from './sources/source-type.js'

export interface AppConfig {
  port: number
  host: string
  /** Set: a Postgres server. Unset: embedded PGlite in `<dataDir>/pgdata`. */
  databaseUrl: string | undefined
  dataDir: string
  bootstrapCredentials: { accessId: string; accessKey: string } | undefined
  /** 32 raw bytes, or undefined with the embedded database (then generated into the data dir). */
  secretKey: Buffer | undefined
  schedulerEnabled: boolean
  eventRetentionDays: number
  /** Wrong keys per client address and access id per minute before 429; 0 turns the limit off. */
  authFailuresPerMinute: number
  runtime: RuntimeTuning
  /** Each source type's operator settings, read from the environment by the type itself. */
  sourceTypeSettings: ReadonlyMap<string, unknown>
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

/** Scheduling and remote-call knobs; the defaults suit production, tests turn them down. */
export interface RuntimeTuning {
  schedulerPollMs: number
  leaseSeconds: number
  maxConcurrentRuns: number
  runRetryBaseMs: number
  /** Retries of one remote call: capped exponential backoff from baseMs, doubling to capMs. */
  remoteRetry: { baseMs: number; capMs: number; attempts: number; maxRetryAfterMs: number }
  /** Time for a remote answer's headers, and for silence inside its body. */
  remoteTimeouts: { headersMs: number; bodyIdleMs: number }
  /** A run commits after this many records or bytes of raw text, whichever comes first. */
  batch: { maxRecords: number; maxBytes: number }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface LoadConfigOptions {
  /** The source types whose operator settings are read; the built-in ones by default. */
  sourceTypes?: readonly SourceTypeDefinition[]
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): AppConfig {
  const reader = new EnvReader(env)
  const { problems } = reader
  const read = (name: string) => reader.string(name)
  const integer = (name: string, fallback: number, min: number, max: number) => reader.integer(name, fallback, min, max)

  const port = integer('PORT', 8080, 0, 65535)
  const host = read('HOST') ?? '127.0.0.1'

  const databaseUrl = read('DATABASE_URL')
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }
  const dataDir = path.resolve(read('OPENC2C_DATA_DIR') ?? './data')

  const accessId = read('OPENC2C_ACCESS_ID')
  const accessKey = read('OPENC2C_ACCESS_KEY')
  let bootstrapCredentials: AppConfig['bootstrapCredentials']
  if ((accessId === undefined) !== (accessKey === undefined)) {
    problems.push('OPENC2C_ACCESS_ID and OPENC2C_ACCESS_KEY must be set together (or both left unset)')
  } else if (accessId !== undefined && accessKey !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(accessId)) {
      problems.push('OPENC2C_ACCESS_ID must be 1 to 128 letters, digits, ".", "_" or "-" (it is the user name of HTTP Basic auth)')
    }
    if (accessKey.length < 16) problems.push('OPENC2C_ACCESS_KEY must be at least 16 characters long')
    bootstrapCredentials = { accessId, accessKey }
  }

  const secretKey = parseSecretKey(read('OPENC2C_SECRET_KEY'), problems)
  if (databaseUrl !== undefined && secretKey === undefined && !problems.some((p) => p.startsWith('OPENC2C_SECRET_KEY'))) {
    problems.push(
      'OPENC2C_SECRET_KEY is required with DATABASE_URL: it encrypts source secrets at rest, and every replica ' +
        'sharing the database must use the same key, so it cannot be generated locally. ' +
        'Create one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"',
    )
  }

  const scheduler = (read('OPENC2C_SCHEDULER') ?? 'on').toLowerCase()
  if (scheduler !== 'on' && scheduler !== 'off') problems.push(`OPENC2C_SCHEDULER must be "on" or "off", got "${scheduler}"`)

  const eventRetentionDays = integer('OPENC2C_EVENT_RETENTION_DAYS', 30, 1, 3650)
  const authFailuresPerMinute = integer('OPENC2C_AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000)
  const retryBaseMs = integer('OPENC2C_UPSTREAM_RETRY_BASE_MS', 1000, 1, 600_000)
  const runtime: RuntimeTuning = {
    schedulerPollMs: integer('OPENC2C_SCHEDULER_POLL_MS', 5000, 50, 600_000),
    leaseSeconds: integer('OPENC2C_LEASE_SECONDS', 60, 1, 3600),
    maxConcurrentRuns: integer('OPENC2C_MAX_CONCURRENT_RUNS', 4, 1, 256),
    runRetryBaseMs: integer('OPENC2C_RUN_RETRY_BASE_MS', 30_000, 1, 3_600_000),
    // Six attempts of one call span about a minute at the default base; a longer outage fails the run,
    // which the scheduler retries with its own backoff. A Retry-After above 5 minutes is cut to 5.
    remoteRetry: { baseMs: retryBaseMs, capMs: Math.max(retryBaseMs, 60_000), attempts: 6, maxRetryAfterMs: 300_000 },
    remoteTimeouts: { headersMs: 30_000, bodyIdleMs: 60_000 },
    // ~1 MiB of raw text (checked after each record, so one large record may pass it) or 5000
    // records per transaction: large enough to amortise the commit, small enough that the embedded
    // database (one connection) keeps answering the API in between. On PGlite a batch is serialised
    // into JS buffers (the protocol message, then copied into the WASM heap) that live in the
    // service process until collected, so batches there are a quarter of that size.
    batch: databaseUrl === undefined ? { maxRecords: 1250, maxBytes: 256 * 1024 } : { maxRecords: 5000, maxBytes: 1024 * 1024 },
  }

  const sourceTypeSettings = new Map<string, unknown>()
  for (const type of options.sourceTypes ?? builtInSourceTypes) sourceTypeSettings.set(type.type, type.readSettings(reader))

  const logLevel = (read('LOG_LEVEL') ?? 'info') as AppConfig['logLevel']
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)

  if (problems.length > 0) throw new ConfigError(problems)
  return {
    port,
    host,
    databaseUrl,
    dataDir,
    bootstrapCredentials,
    secretKey,
    schedulerEnabled: scheduler === 'on',
    eventRetentionDays,
    authFailuresPerMinute,
    runtime,
    sourceTypeSettings,
    logLevel,
  }
}

/** Accepts 32 bytes as 64 hex digits or as base64 (44 characters with padding). */
export function parseSecretKey(raw: string | undefined, problems: string[]): Buffer | undefined {
  if (raw === undefined) return undefined
  let key: Buffer | undefined
  if (/^[0-9a-fA-F]{64}$/.test(raw)) key = Buffer.from(raw, 'hex')
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) key = Buffer.from(raw, 'base64')
  if (key?.length !== 32) {
    problems.push('OPENC2C_SECRET_KEY must be 32 bytes, written as 64 hex digits or as base64')
    return undefined
  }
  return key
}
