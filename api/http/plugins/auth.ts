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
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { CredentialVerifier } from '../../store/credentials.js'
import { Errors } from '../api-error.js'

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

  /**
   * True while no key has a live window (or the limiter is off): every retryAfter would answer 0.
   * Forgets ended windows on the way; they are kept in order of age, so those are at the front.
   */
  isIdle(): boolean {
    if (this.max === 0 || this.#windows.size === 0) return true
    const now = this.now()
    for (const [key, window] of this.#windows) {
      if (window.resetAt > now) return false
      this.#windows.delete(key)
    }
    return true
  }

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

const BASIC_AUTH = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i

/** The token of an HTTP Basic Authorization header: base64 of "id:key", still encoded. */
export function basicToken(header: string | undefined): string | undefined {
  return header ? BASIC_AUTH.exec(header)?.[1] : undefined
}

export function decodeBasicToken(token: string): { accessId: string; accessKey: string } | undefined {
  const decoded = Buffer.from(token, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { accessId: decoded.slice(0, colon), accessKey: decoded.slice(colon + 1) }
}

export const authPlugin = fp(async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  const limiter = options.limiter ?? new FailedAuthLimiter()
  app.decorateRequest('accessId', undefined)
  // A callback hook that answers synchronously when the token was verified recently and nobody is
  // being limited (nearly every request): it runs on every request, and an async hook costs a
  // promise and a microtask turn each. Measured with `npm run bench:api`: recognising the still-encoded
  // token (one digest, no decoding) made get-one-source ~10 % faster than digesting the decoded pair.
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.routeOptions.config?.auth === false) return done()
    const token = basicToken(request.headers.authorization)
    if (token === undefined) return done(Errors.unauthorized())
    const rememberedId = options.credentials.remembered(token)
    if (rememberedId !== undefined && limiter.isIdle()) {
      request.accessId = rememberedId
      return done()
    }
    const credentials = decodeBasicToken(token)
    if (!credentials) return done(Errors.unauthorized())
    const key = limiterKey(request.ip, credentials.accessId)
    const retryAfter = limiter.retryAfter(key)
    if (retryAfter > 0) return done(Errors.authThrottled(retryAfter))
    options.credentials.verify(credentials.accessId, credentials.accessKey, token).then((ok) => {
      if (!ok) {
        limiter.recordFailure(key)
        return done(Errors.unauthorized())
      }
      request.accessId = credentials.accessId
      done()
    }, done)
  })
})

/** One limiter window per client address and access id (JSON keeps any id unambiguous). */
export function limiterKey(address: string, accessId: string): string {
  return JSON.stringify([address, accessId])
}
