// Fault switches every fake receiver shares. A test arms them on `fake.faults`; the listener takes one
// queued fault per request of the fault's route, in the order they were armed, so
// `failNext(2)` then `throttleNext(1)` gives 5xx, 5xx, 429, then normal answers.
// Kind-specific switches (bulk item failures, HEC acks, Sumo's silent drop) live on each fake.

export type ServerErrorStatus = 500 | 502 | 503 | 504

/** What the next request of a route gets instead of its normal answer. */
export type RequestFault =
  /** A 5xx in the receiver's own error shape (502/504 come from a proxy in front of it, as HTML). */
  | { kind: 'server_error'; status: ServerErrorStatus }
  /** 429 with `Retry-After: <seconds>`. */
  | { kind: 'throttled'; retryAfterSeconds: number }
  /** A 401 in the receiver's own shape, whatever credentials the request carried. */
  | { kind: 'unauthorized' }
  /**
   * The body is read, then nothing is ever answered (the client's timeout fires). With `accept`, the
   * receiver stores the data first: the delivery happened but its answer was lost.
   */
  | { kind: 'hang'; accept: boolean }
  /** After `afterBytes` of the body arrived, the connection is reset (RST); nothing is stored. */
  | { kind: 'reset'; afterBytes: number }

export type FaultKind = RequestFault['kind']

interface QueuedFault<R extends string> {
  route: R
  fault: RequestFault
  remaining: number
}

export class FaultSwitches<R extends string> {
  private queue: Array<QueuedFault<R>> = []
  private delays = new Map<R, number>()

  /** `defaultRoute` is where a fault goes when the caller names none: the receiver's ingest route. */
  constructor(readonly defaultRoute: R) {}

  /** The next `count` requests answer `status` (default 503). */
  failNext(count = 1, opts: { status?: ServerErrorStatus; route?: R } = {}): this {
    return this.arm({ kind: 'server_error', status: opts.status ?? 503 }, count, opts.route)
  }

  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds` (default 1). */
  throttleNext(count = 1, opts: { retryAfterSeconds?: number; route?: R } = {}): this {
    const seconds = opts.retryAfterSeconds ?? 1
    if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`retryAfterSeconds must be a whole number ≥ 0, got ${seconds}`)
    return this.arm({ kind: 'throttled', retryAfterSeconds: seconds }, count, opts.route)
  }

  /** The next `count` requests answer 401. */
  unauthorizedNext(count = 1, opts: { route?: R } = {}): this {
    return this.arm({ kind: 'unauthorized' }, count, opts.route)
  }

  /** The next `count` requests are never answered; with `accept: true` their data is stored first. */
  hangNext(count = 1, opts: { accept?: boolean; route?: R } = {}): this {
    return this.arm({ kind: 'hang', accept: opts.accept ?? false }, count, opts.route)
  }

  /** The next `count` requests have their connection reset once `afterBytes` (default 1) of the body arrived. */
  resetNext(count = 1, opts: { afterBytes?: number; route?: R } = {}): this {
    return this.arm({ kind: 'reset', afterBytes: Math.max(0, opts.afterBytes ?? 1) }, count, opts.route)
  }

  /**
   * A slow receiver: every request of the route waits `ms` after its body arrived and before it is
   * processed and answered, until set back to 0. Data is stored even if the client gave up meanwhile.
   */
  setDelay(ms: number, opts: { route?: R } = {}): this {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`delay must be ≥ 0 ms, got ${ms}`)
    const route = opts.route ?? this.defaultRoute
    if (ms === 0) this.delays.delete(route)
    else this.delays.set(route, ms)
    return this
  }

  delayFor(route: R): number {
    return this.delays.get(route) ?? 0
  }

  /** Uses of armed faults not consumed yet (for one route, or all). */
  pending(route?: R): number {
    return this.queue.filter((q) => route === undefined || q.route === route).reduce((n, q) => n + q.remaining, 0)
  }

  /** Takes one use of the first fault armed for `route`. */
  take(route: R): RequestFault | undefined {
    const index = this.queue.findIndex((q) => q.route === route)
    if (index < 0) return undefined
    const queued = this.queue[index] as QueuedFault<R>
    queued.remaining -= 1
    if (queued.remaining <= 0) this.queue.splice(index, 1)
    return queued.fault
  }

  /** Disarms every fault and delay. */
  clear(): void {
    this.queue = []
    this.delays.clear()
  }

  private arm(fault: RequestFault, count: number, route: R | undefined): this {
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a whole number ≥ 1, got ${count}`)
    this.queue.push({ route: route ?? this.defaultRoute, fault, remaining: count })
    return this
  }
}
