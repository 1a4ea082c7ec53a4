// Command line and environment for `npm run fake-chatgpt`. Every flag `--some-flag` can also be given as
// the environment variable FAKE_CHATGPT_SOME_FLAG; a flag wins over the environment.

import { parseArgs } from 'node:util'
import { COMPLIANCE_EVENT_TYPES, isComplianceEventType, type ComplianceEventType } from './event-types.js'
import type { FakeComplianceOptions } from './fake-compliance.js'
import { isBodyFaultRoute, isFaultRoute, isServerErrorStatus, type BodyFaultRoute, type FaultRoute, type ServerErrorStatus } from './fault-switches.js'
import type { DemoHistoryOptions, PublishedFileFaults } from './demo-publisher.js'

export interface CliConfig {
  fake: FakeComplianceOptions
  history: DemoHistoryOptions
  /** Seconds between published files; 0 = publish nothing after start. */
  publishEverySeconds: number
  fileFaults: PublishedFileFaults
  failNext: Array<{ route: FaultRoute; status: ServerErrorStatus; count: number }>
  rateLimitNext: Array<{ route: FaultRoute; retryAfterSeconds: number; count: number }>
  slow: Array<{ route: BodyFaultRoute; chunkBytes: number; delayMs: number; count: number }>
  truncate: Array<{ route: BodyFaultRoute; afterBytes?: number; count: number }>
  help: boolean
}

export class CliUsageError extends Error {}

export const ENV_PREFIX = 'FAKE_CHATGPT_'

const OPTIONS = {
  help: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  'signed-port': { type: 'string' },
  'api-key': { type: 'string' },
  'workspace-id': { type: 'string' },
  'organization-id': { type: 'string' },
  seed: { type: 'string' },
  scopes: { type: 'string' },
  'rate-limit': { type: 'string' },
  'signed-url-ttl': { type: 'string' },
  'retention-days': { type: 'string' },
  'history-days': { type: 'string' },
  'files-per-day': { type: 'string' },
  'events-per-file': { type: 'string' },
  'publish-every': { type: 'string' },
  'inclusive-boundary': { type: 'boolean' },
  'error-style': { type: 'string' },
  'expire-signed-urls': { type: 'string' },
  'fail-next': { type: 'string', multiple: true },
  'rate-limit-next': { type: 'string', multiple: true },
  slow: { type: 'string', multiple: true },
  truncate: { type: 'string', multiple: true },
  concatenated: { type: 'boolean' },
  'no-final-newline': { type: 'boolean' },
  'repeat-events': { type: 'string' },
  'late-events': { type: 'string' },
  'malformed-lines': { type: 'string' },
  'wrong-sha256-every': { type: 'string' },
} as const

export const USAGE = `Usage: npm run fake-chatgpt -- [options]     (each --flag also as env ${ENV_PREFIX}FLAG, e.g. ${ENV_PREFIX}SIGNED_PORT)

Listeners and identity
  --host H                 bind address (127.0.0.1)
  --port N                 API port (0 = any free port)
  --signed-port N          signed-storage port (0 = any free port)
  --api-key K              bearer key to accept (default derived from --seed)
  --workspace-id UUID      workspace id (default derived from --seed)
  --organization-id ORG    organization id, org-… (default derived from --seed)
  --seed N                 seed for ids and generated content (1)
  --scopes T1,T2           event types the key may read (all)
  --rate-limit N           requests/min per key+method+route, 0 = unlimited (100)
  --signed-url-ttl S       signed URL lifetime in seconds (60)
  --retention-days D       files older than this are dropped from listings (30)

Content
  --history-days D         days of history seeded at start for every type (3)
  --files-per-day N        seeded files per type per day (4)
  --events-per-file N      events per seeded/published file (20)
  --publish-every S        publish one new file per type every S seconds (0 = off)

Faults (file faults apply to files published after start)
  --inclusive-boundary     listing also returns files with end_time == after
  --error-style openai     error bodies as {"error":{…}} instead of {"detail":…}
  --expire-signed-urls N   the next N signed URLs are already expired
  --fail-next R:STATUS[:N] next N requests of route R answer STATUS (500|502|503|504)
  --rate-limit-next R:SECONDS[:N]  next N requests of route R answer 429 + Retry-After
  --slow R:CHUNK_BYTES:DELAY_MS[:N]  write bodies of route R slowly (N default: every response)
  --truncate R[:AFTER_BYTES[:N]]   cut the next N bodies of route R (default: half, once)
  --concatenated           published files write JSON objects back to back
  --no-final-newline       published files lack the final newline
  --repeat-events N        published files repeat N already-published events
  --late-events N          published files include N events older than the previous file
  --malformed-lines N      published files include N malformed lines
  --wrong-sha256-every N   every Nth published file is listed with a wrong sha256
  Routes R: list, download, max_event_time, conversations, signed (slow/truncate: list, max_event_time, signed)
`

export function parseCliOptions(argv: string[], env: Record<string, string | undefined>): CliConfig {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false })
  } catch (err) {
    throw new CliUsageError((err as Error).message)
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>
  const envName = (flag: string): string => ENV_PREFIX + flag.toUpperCase().replace(/-/g, '_')
  const str = (flag: string): string | undefined => {
    const value = flags[flag]
    if (typeof value === 'string') return value
    const fromEnv = env[envName(flag)]
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv
  }
  const bool = (flag: string): boolean => {
    if (flags[flag] === true) return true
    const fromEnv = env[envName(flag)]
    return fromEnv !== undefined && /^(1|true|yes|on)$/i.test(fromEnv)
  }
  const list = (flag: string): string[] => {
    const value = flags[flag]
    if (Array.isArray(value)) return value
    const fromEnv = env[envName(flag)]
    // Several values in one environment variable are separated by spaces or commas.
    return fromEnv ? fromEnv.split(/[\s,]+/).filter(Boolean) : []
  }
  const num = (flag: string, fallback: number, check: (n: number) => boolean = (n) => n >= 0): number => {
    const raw = str(flag)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new CliUsageError(`--${flag}: invalid value ${JSON.stringify(raw)}`)
    return n
  }
  const int = (flag: string, fallback: number): number => num(flag, fallback, (n) => Number.isInteger(n) && n >= 0)
  const optionalInt = (flag: string): number | undefined => (str(flag) === undefined ? undefined : int(flag, 0))

  const scopes = str('scopes')?.split(',').map((s) => s.trim()).filter(Boolean)
  const unknownScope = scopes?.find((s) => !isComplianceEventType(s))
  if (unknownScope) throw new CliUsageError(`--scopes: unknown event type ${unknownScope} (known: ${COMPLIANCE_EVENT_TYPES.join(', ')})`)
  const errorStyle = str('error-style')
  if (errorStyle !== undefined && errorStyle !== 'fastapi' && errorStyle !== 'openai') throw new CliUsageError('--error-style must be fastapi or openai')
  const port = optionalInt('port')
  const signedPort = optionalInt('signed-port')
  const host = str('host')
  const apiKey = str('api-key')
  const workspaceId = str('workspace-id')
  const organizationId = str('organization-id')
  const seed = optionalInt('seed')
  const repeatEvents = optionalInt('repeat-events')
  const lateEvents = optionalInt('late-events')
  const malformedLines = optionalInt('malformed-lines')

  return {
    help: bool('help'),
    fake: {
      ...(host !== undefined ? { host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(signedPort !== undefined ? { signedPort } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(workspaceId !== undefined ? { workspaceId } : {}),
      ...(organizationId !== undefined ? { organizationId } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(scopes !== undefined ? { scopes: scopes as ComplianceEventType[] } : {}),
      rateLimitPerMinute: num('rate-limit', 100),
      signedUrlTtlSeconds: num('signed-url-ttl', 60),
      retentionDays: num('retention-days', 30),
      faults: {
        inclusiveBoundary: bool('inclusive-boundary'),
        expireNextSignedUrls: int('expire-signed-urls', 0),
        errorStyle: errorStyle ?? 'fastapi',
      },
    },
    history: { days: num('history-days', 3), filesPerDay: num('files-per-day', 4), eventsPerFile: int('events-per-file', 20) },
    publishEverySeconds: num('publish-every', 0),
    fileFaults: {
      ...(bool('concatenated') ? { format: 'concatenated' as const } : {}),
      ...(bool('no-final-newline') ? { finalNewline: false } : {}),
      ...(repeatEvents ? { repeatEvents } : {}),
      ...(lateEvents ? { lateEvents } : {}),
      ...(malformedLines ? { malformedLines } : {}),
      wrongSha256Every: int('wrong-sha256-every', 0),
    },
    failNext: list('fail-next').map((spec) => {
      const [route, status, count] = fields(spec, 'fail-next', 2, 3)
      const code = Number(status)
      if (!isServerErrorStatus(code)) throw new CliUsageError(`--fail-next ${spec}: status must be 500, 502, 503 or 504`)
      return { route: faultRoute(route, spec), status: code, count: countField(count, 1, spec) }
    }),
    rateLimitNext: list('rate-limit-next').map((spec) => {
      const [route, seconds, count] = fields(spec, 'rate-limit-next', 2, 3)
      return { route: faultRoute(route, spec), retryAfterSeconds: countField(seconds, 1, spec), count: countField(count, 1, spec) }
    }),
    slow: list('slow').map((spec) => {
      const [route, chunkBytes, delayMs, count] = fields(spec, 'slow', 3, 4)
      const chunk = countField(chunkBytes, 1024, spec)
      if (chunk < 1) throw new CliUsageError(`--slow ${spec}: chunk bytes must be >= 1`)
      return { route: bodyFaultRoute(route, spec), chunkBytes: chunk, delayMs: countField(delayMs, 20, spec), count: countField(count, Infinity, spec) }
    }),
    truncate: list('truncate').map((spec) => {
      const [route, afterBytes, count] = fields(spec, 'truncate', 1, 3)
      return {
        route: bodyFaultRoute(route, spec),
        ...(afterBytes !== undefined && afterBytes !== 'half' ? { afterBytes: countField(afterBytes, 0, spec) } : {}),
        count: countField(count, 1, spec),
      }
    }),
  }
}

function fields(spec: string, flag: string, min: number, max: number): Array<string | undefined> {
  const parts = spec.split(':')
  if (parts.length < min || parts.length > max) throw new CliUsageError(`--${flag} ${spec}: expected ${min}–${max} fields separated by ':'`)
  return parts
}

function faultRoute(value: string | undefined, spec: string): FaultRoute {
  if (value === undefined || !isFaultRoute(value)) throw new CliUsageError(`${spec}: unknown route ${String(value)}`)
  return value
}

function bodyFaultRoute(value: string | undefined, spec: string): BodyFaultRoute {
  if (value === undefined || !isBodyFaultRoute(value)) throw new CliUsageError(`${spec}: route must be list, max_event_time or signed`)
  return value
}

function countField(value: string | undefined, fallback: number, spec: string): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new CliUsageError(`${spec}: ${value} is not a whole number >= 0`)
  return n
}
