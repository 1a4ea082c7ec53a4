// HTTP Basic auth with an access id and key on every route, except those whose route config says
// `auth: false` (/healthz, the docs). Runs at onRequest, before the body is read, so an
// unauthenticated client learns nothing about validation.
//
// Failed attempts are limited per client address and access id: after `max` wrong keys for one id
// from one address in a window, every request for that id from that address (the right key
// included, or the answers would still tell a guess apart) gets 429 `rate.limit.exceeded` with
// Retry-After until the window ends. Keying by the id too means a client with a stale key behind a
// shared address (a proxy, NAT) cannot lock out clients that use other credentials. Requests
// without credentials, or with a malformed Authorization header, guess nothing and are not counted.
// The counts live in this process's memory. OPENC2C_AUTH_FAILURES_PER_MINUTE sets `max` (0: off).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { CredentialVerifier } from '../../store/credentials.js'
import { Errors } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean
    /** Documentation-only overrides (plugins/openapi.ts), e.g. a 200 body with several shapes. */
    docs?: { response200?: object }
  }
  interface FastifyRequest {
    accessId?: string
  }
}

export const FAILED_AUTH_LIMIT = { max: 30, windowMs: 60_000 } as const
/** Keys (address and id) tracked at once; the oldest is forgotten first, so memory stays bounded under a spray. */
const MAX_TRACKED_KEYS = 10_000

/** Counts failed authentications per key (see limiterKey) in fixed windows; `max` 0 turns it off. */
export class FailedAuthLimiter {
  readonly #windows = new Map<string, { failures: number; resetAt: number }>()

  constructor(
    readonly max: number = FAILED_AUTH_LIMIT.max,
    readonly windowMs: number = FAILED_AUTH_LIMIT.windowMs,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(address: string): number {
    if (this.max === 0) return 0
    const window = this.#windows.get(address)
    if (!window) return 0
    const left = window.resetAt - this.now()
    if (left <= 0) {
      this.#windows.delete(address)
      return 0
    }
    return window.failures >= this.max ? Math.ceil(left / 1000) : 0
  }

  recordFailure(address: string): void {
    if (this.max === 0) return
    const now = this.now()
    let window = this.#windows.get(address)
    if (!window || window.resetAt <= now) {
      this.#windows.delete(address) // re-inserted last: the map stays in order of age
      if (this.#windows.size >= MAX_TRACKED_KEYS) this.#windows.delete(this.#windows.keys().next().value!)
      window = { failures: 0, resetAt: now + this.windowMs }
      this.#windows.set(address, window)
    }
    window.failures++
  }
}

export interface AuthOptions {
  credentials: CredentialVerifier
  limiter?: FailedAuthLimiter
}

export function parseBasicAuth(header: string | undefined): { accessId: string; accessKey: string } | undefined {
  if (!header) return undefined
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { accessId: decoded.slice(0, colon), accessKey: decoded.slice(colon + 1) }
}

export const authPlugin = fp(async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  const limiter = options.limiter ?? new FailedAuthLimiter()
  app.decorateRequest('accessId', undefined)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.auth === false) return
    const credentials = parseBasicAuth(request.headers.authorization)
    if (!credentials) throw Errors.unauthorized()
    const key = limiterKey(request.ip, credentials.accessId)
    const retryAfter = limiter.retryAfter(key)
    if (retryAfter > 0) throw Errors.authThrottled(retryAfter)
    if (!(await options.credentials.verify(credentials.accessId, credentials.accessKey))) {
      limiter.recordFailure(key)
      throw Errors.unauthorized()
    }
    request.accessId = credentials.accessId
  })
})

/** One limiter window per client address and access id (JSON keeps any id unambiguous). */
export function limiterKey(address: string, accessId: string): string {
  return JSON.stringify([address, accessId])
}
