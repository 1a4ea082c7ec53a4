// What a fake receiver saw: one entry per request, whatever its outcome, and the events it stored.
// Delivery tests read `acceptedEvents()`; the request log answers "how often, with which status".

import type { FaultKind } from './fault-switches.js'

export type RequestOutcome =
  /** A response was written (any status). */
  | 'answered'
  /** The hang fault: the body was read and no response will ever come. */
  | 'hung'
  /** The reset fault: the connection was reset mid-request. */
  | 'reset'
  /** The client went away before the fake answered. */
  | 'client_closed'
  /** The fake was closed while the request waited out a delay; it was neither stored nor answered. */
  | 'receiver_closed'

export interface RecordedRequest {
  /** 1-based order of arrival. */
  seq: number
  /** Arrival time, ISO-8601. */
  at: string
  method: string
  /** Path without the query; a secret in the path (Sumo's code) reads `{code}`. */
  path: string
  query: Array<[string, string]>
  /** The receiver route it matched, or `unmatched`. */
  route: string
  /** Response status; 0 when nothing was answered (hung, reset, client closed). */
  status: number
  outcome: RequestOutcome
  /** The injected fault that shaped this request, if any; `slow` when a delay was applied. */
  fault?: FaultKind | 'slow'
  /**
   * Request headers, names in lower case. `authorization` keeps only its scheme (`Splunk [redacted]`):
   * the fake checks the credential itself, so tests never need its value from here.
   */
  headers: Record<string, string>
  /** Body bytes as sent (compressed when the request was). */
  bodyBytes: number
  /** Body bytes after Content-Encoding was undone; equals bodyBytes without an encoding. */
  decodedBytes: number
  /** How many events this request stored (0 for a rejected request). */
  storedEvents: number
  /** Why the fake refused the request (the reason it put in its 4xx), for failing-test messages. */
  rejection?: string
}

/** One event a fake stored. `id` comes from the fake's `eventId` option (see each fake). */
export interface AcceptedEvent {
  id: string | undefined
  /** `seq` of the request that delivered it. */
  requestSeq: number
  /** The parsed event (undefined when the fake was started with `retainEvents: false`). */
  event: unknown
}

/**
 * Something the real receiver would accept but openc2c's delivery contract forbids (an envelope without
 * `time`, a Sumo POST over 1 MB, an `index` action instead of `create`…). The fake still answers as the
 * receiver would; tests assert `fake.violations` is empty.
 */
export interface ContractViolation {
  requestSeq: number
  rule: string
  detail: string
}

export class RequestLog {
  readonly entries: RecordedRequest[] = []
  readonly violations: ContractViolation[] = []
  private seq = 0

  nextSeq(): number {
    this.seq += 1
    return this.seq
  }

  record(entry: RecordedRequest): void {
    this.entries.push(entry)
  }

  violation(requestSeq: number, rule: string, detail: string): void {
    this.violations.push({ requestSeq, rule, detail })
  }

  /** Empties the log in place (arrays held by a test stay the same objects). */
  clear(): void {
    this.entries.length = 0
    this.violations.length = 0
  }
}

/** Request headers for the log: lower-case names, repeated headers joined, Authorization reduced to its scheme. */
export function loggableHeaders(raw: NodeJS.Dict<string | string[]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    out[name.toLowerCase()] = name.toLowerCase() === 'authorization' ? `${text.trim().split(/\s+/)[0] ?? ''} [redacted]` : text
  }
  return out
}
