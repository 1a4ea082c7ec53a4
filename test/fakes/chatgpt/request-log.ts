// What the fake saw, so tests can assert on the collector's traffic: how often each route was called,
// with which status, and whether an Authorization header was (not) sent to signed storage.

import type { FaultRoute } from './fault-switches.js'

export type RecordedRoute = FaultRoute | 'unmatched'

export interface RecordedRequest {
  /** 1-based order of arrival across both listeners. */
  seq: number
  /** Wall-clock arrival time, ISO-8601. */
  at: string
  listener: 'api' | 'signed'
  method: string
  /** Path without the query string. */
  path: string
  /** Decoded query parameters, repeated names kept in order. */
  query: Array<[string, string]>
  route: RecordedRoute
  /** Route template, e.g. `/v1/compliance/workspaces/{workspace_id}/logs`. */
  template: string
  status: number
  /** Whether the request carried an Authorization header (its value is never recorded). */
  authorization: boolean
  /** The injected fault that shaped this response, if any. */
  fault?: 'server_error' | 'rate_limited' | 'slow' | 'truncated'
  /** File id for download and signed requests, when known. */
  fileId?: string
}

export class RequestLog {
  readonly entries: RecordedRequest[] = []
  private seq = 0

  record(entry: Omit<RecordedRequest, 'seq' | 'at'>): RecordedRequest {
    const full: RecordedRequest = { seq: ++this.seq, at: new Date().toISOString(), ...entry }
    this.entries.push(full)
    return full
  }

  /** Empties the log in place (the array object stays the same for anyone holding it). */
  clear(): void {
    this.entries.length = 0
  }
}
