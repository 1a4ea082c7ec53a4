// Runtime fault injection. Tests mutate a FaultSwitches object directly (or through the helpers on
// FakeCompliance); the listeners read it on every request, so a change applies to the next request.
//
// Faults that shape a file's content (repeated or late events, concatenated JSON, missing final newline,
// malformed lines, wrong sha256) are chosen when the file is added: see AddLogFileOptions.

/** The fake's routes, by role. `signed` is the storage listener; the others are API routes (both scopes). */
export const FAULT_ROUTES = ['list', 'download', 'max_event_time', 'conversations', 'signed'] as const
export type FaultRoute = (typeof FAULT_ROUTES)[number]

export type ServerErrorStatus = 500 | 502 | 503 | 504

/** Routes that answer with a body worth slowing down or cutting off (the download route only redirects). */
export const BODY_FAULT_ROUTES = ['list', 'max_event_time', 'signed'] as const
export type BodyFaultRoute = (typeof BODY_FAULT_ROUTES)[number]

/** Replaces the whole response of the next `remaining` requests of a route. */
export type ResponseFault =
  | { kind: 'server_error'; status: ServerErrorStatus; remaining: number }
  | { kind: 'rate_limited'; retryAfterSeconds: number; remaining: number }

/** Changes how the body of the next `remaining` successful responses of a route is written. */
export type BodyFault =
  /** Writes `chunkBytes` at a time with `delayMs` between writes. */
  | { kind: 'slow'; chunkBytes: number; delayMs: number; remaining: number }
  /** Declares the full Content-Length, sends `afterBytes` (default: half the body), then destroys the socket. */
  | { kind: 'truncate'; afterBytes?: number; remaining: number }

export type ErrorStyle = 'fastapi' | 'openai'

export interface FaultSwitches {
  /** Listing also returns files whose end_time == after (the boundary re-listing integrators report). */
  inclusiveBoundary: boolean
  /** The next N signed URLs are issued already expired. */
  expireNextSignedUrls: number
  /**
   * Error body shape: `fastapi` = `{"detail": …}` (default, docs/logs-platform.md §9); `openai` = the platform shape
   * `{"error": {"message", "type", "param", "code"}}` some clients assume.
   */
  errorStyle: ErrorStyle
  /** Queued whole-response faults per route, consumed front first. */
  responseFaults: Record<FaultRoute, ResponseFault[]>
  /** Queued body-writing faults per route, consumed front first, applied to 200 responses only. */
  bodyFaults: Record<BodyFaultRoute, BodyFault[]>
}

export function createFaultSwitches(): FaultSwitches {
  return {
    inclusiveBoundary: false,
    expireNextSignedUrls: 0,
    errorStyle: 'fastapi',
    responseFaults: emptyQueues<ResponseFault>(),
    bodyFaults: { list: [], max_event_time: [], signed: [] },
  }
}

export function clearFaultSwitches(faults: FaultSwitches): void {
  faults.inclusiveBoundary = false
  faults.expireNextSignedUrls = 0
  faults.errorStyle = 'fastapi'
  faults.responseFaults = emptyQueues<ResponseFault>()
  faults.bodyFaults = { list: [], max_event_time: [], signed: [] }
}

/** Takes one use of the first queued fault of a route (dropping it when used up). */
export function takeFault<F extends { remaining: number }>(queue: F[]): F | undefined {
  while (queue.length > 0) {
    const fault = queue[0] as F
    if (fault.remaining <= 0) {
      queue.shift()
      continue
    }
    fault.remaining -= 1
    if (fault.remaining <= 0) queue.shift()
    return fault
  }
  return undefined
}

export function isFaultRoute(value: string): value is FaultRoute {
  return (FAULT_ROUTES as readonly string[]).includes(value)
}

export function isBodyFaultRoute(value: string): value is BodyFaultRoute {
  return (BODY_FAULT_ROUTES as readonly string[]).includes(value)
}

export function isServerErrorStatus(value: number): value is ServerErrorStatus {
  return value === 500 || value === 502 || value === 503 || value === 504
}

function emptyQueues<F>(): Record<FaultRoute, F[]> {
  return { list: [], download: [], max_event_time: [], conversations: [], signed: [] }
}
