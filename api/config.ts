// Environment → typed configuration. Everything is checked before anything starts, and every problem
// is reported at once with the variable's name, so a misconfigured deployment fails in one round trip.
import path from 'node:path'

export interface AppConfig {
  port: number
  host: string
  /** Set: a Postgres server. Unset: embedded PGlite in `<dataDir>/pgdata`. */
  databaseUrl: string | undefined
  dataDir: string
  bootstrapCredentials: { accessId: string; accessKey: string } | undefined
  /** 32 raw bytes, or undefined with the embedded database (then generated into the data dir). */
  secretKey: Buffer | undefined
  chatgptBaseUrl: string
  schedulerEnabled: boolean
  eventRetentionDays: number
  /** Wrong keys per client address and access id per minute before 429; 0 turns the limit off. */
  authFailuresPerMinute: number
  runtime: RuntimeTuning
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

/** Scheduling and upstream knobs; the defaults suit production, tests turn them down. */
export interface RuntimeTuning {
  schedulerPollMs: number
  leaseSeconds: number
  maxConcurrentRuns: number
  upstreamRequestsPerMinute: number
  upstreamRetryBaseMs: number
  runRetryBaseMs: number
  initialLookbackDays: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = []
  const read = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value === '' ? undefined : value
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name)
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return Number(raw)
  }

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

  const chatgptBaseUrl = (read('OPENC2C_CHATGPT_BASE_URL') ?? 'https://api.chatgpt.com/v1').replace(/\/+$/, '')
  if (!/^https?:\/\/[^/\s]+/.test(chatgptBaseUrl)) problems.push('OPENC2C_CHATGPT_BASE_URL must be an http:// or https:// URL')

  const scheduler = (read('OPENC2C_SCHEDULER') ?? 'on').toLowerCase()
  if (scheduler !== 'on' && scheduler !== 'off') problems.push(`OPENC2C_SCHEDULER must be "on" or "off", got "${scheduler}"`)

  const eventRetentionDays = integer('OPENC2C_EVENT_RETENTION_DAYS', 30, 1, 3650)
  const authFailuresPerMinute = integer('OPENC2C_AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000)
  const runtime: RuntimeTuning = {
    schedulerPollMs: integer('OPENC2C_SCHEDULER_POLL_MS', 5000, 50, 600_000),
    leaseSeconds: integer('OPENC2C_LEASE_SECONDS', 60, 1, 3600),
    maxConcurrentRuns: integer('OPENC2C_MAX_CONCURRENT_RUNS', 4, 1, 256),
    // The Logs Platform allows 100 requests per minute per route; stay under it with margin.
    upstreamRequestsPerMinute: integer('OPENC2C_UPSTREAM_REQUESTS_PER_MINUTE', 90, 0, 100_000),
    upstreamRetryBaseMs: integer('OPENC2C_UPSTREAM_RETRY_BASE_MS', 1000, 1, 600_000),
    runRetryBaseMs: integer('OPENC2C_RUN_RETRY_BASE_MS', 30_000, 1, 3_600_000),
    initialLookbackDays: integer('OPENC2C_INITIAL_LOOKBACK_DAYS', 30, 1, 30),
  }

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
    chatgptBaseUrl,
    schedulerEnabled: scheduler === 'on',
    eventRetentionDays,
    authFailuresPerMinute,
    runtime,
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
