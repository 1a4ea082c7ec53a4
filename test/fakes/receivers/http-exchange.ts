// One request/response pair of a fake receiver: reading the body with a limit, writing the reply, the
// hang and reset faults, and recording the outcome in the request log exactly once.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FaultKind } from './fault-switches.js'
import { loggableHeaders, type RequestLog, type RequestOutcome } from './request-log.js'

export interface Reply {
  status: number
  body: string
  headers?: Record<string, string>
  /** The fake's reason for refusing the request, kept in the request log. */
  rejection?: string
}

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}, rejection?: string): Reply {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=UTF-8', ...headers }, ...(rejection ? { rejection } : {}) }
}

export function textReply(status: number, body: string, headers: Record<string, string> = {}, rejection?: string): Reply {
  return { status, body, headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers }, ...(rejection ? { rejection } : {}) }
}

/** 502 and 504 come from the proxy or load balancer in front of a receiver, which answers with a page. */
export function proxyErrorPage(status: 502 | 504): Reply {
  const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out'
  return { status, body: `<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`, headers: { 'content-type': 'text/html' } }
}

export class Exchange {
  readonly at = new Date().toISOString()
  readonly url: URL
  route = 'unmatched'
  /** The path as logged; a fake replaces a secret segment (Sumo's code) before the entry is written. */
  loggedPath: string
  fault: FaultKind | 'slow' | undefined
  bodyBytes = 0
  decodedBytes = 0
  storedEvents = 0
  private finished = false

  constructor(
    readonly seq: number,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly log: RequestLog,
  ) {
    this.url = new URL(req.url ?? '/', 'http://fake.invalid')
    this.loggedPath = this.url.pathname
    // A client that resets its own connection must not crash the fake.
    req.on('error', () => undefined)
    res.on('error', () => undefined)
  }

  get method(): string {
    return this.req.method ?? 'GET'
  }

  get isFinished(): boolean {
    return this.finished
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name.toLowerCase()]
    return Array.isArray(value) ? value.join(', ') : value
  }

  /**
   * The whole body, or undefined when the client went away first or the body passed `limitBytes`
   * (then the caller's `tooLarge` reply has been sent).
   */
  readBody(limitBytes: number, tooLarge: () => Reply): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const parts: Buffer[] = []
      let settled = false
      const settle = (value: Buffer | undefined): void => {
        if (settled) return
        settled = true
        this.req.off('data', onData)
        resolve(value)
      }
      const onData = (chunk: Buffer): void => {
        this.bodyBytes += chunk.length
        if (this.bodyBytes > limitBytes) {
          const reply = tooLarge()
          this.send({ ...reply, headers: { ...reply.headers, connection: 'close' } })
          settle(undefined)
          this.req.resume() // discard the rest; the connection closes after the answer
          return
        }
        parts.push(chunk)
      }
      this.req.on('data', onData)
      this.req.on('end', () => settle(Buffer.concat(parts)))
      this.req.on('close', () => {
        if (!this.req.complete) {
          this.finish('client_closed', 0)
          settle(undefined)
        }
      })
    })
  }

  send(reply: Reply): void {
    if (this.finished) return
    if (this.res.destroyed || this.req.socket.destroyed) {
      this.finish('client_closed', 0, reply.rejection)
      return
    }
    this.finish('answered', reply.status, reply.rejection)
    this.res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) })
    this.res.end(this.method === 'HEAD' ? undefined : reply.body)
  }

  /** The fake is closing: the request is left unprocessed and unanswered. */
  abandon(): void {
    this.finish('receiver_closed', 0)
  }

  /** Never answers; the listener's close() (or the client) ends the connection. */
  hang(): void {
    this.finish('hung', 0)
  }

  /** Waits until `afterBytes` of the body arrived (or the body ended), then resets the connection. */
  resetAfter(afterBytes: number): Promise<void> {
    return new Promise((resolve) => {
      const cut = (): void => {
        this.req.off('data', onData)
        this.req.off('end', cut)
        this.finish('reset', 0)
        this.req.socket.resetAndDestroy()
        resolve()
      }
      const onData = (chunk: Buffer): void => {
        this.bodyBytes += chunk.length
        if (this.bodyBytes >= afterBytes) cut()
      }
      if (afterBytes <= 0 || this.req.complete) return cut()
      this.req.on('data', onData)
      this.req.on('end', cut)
      this.req.on('close', () => {
        if (!this.finished) this.finish('client_closed', 0)
        resolve()
      })
    })
  }

  private finish(outcome: RequestOutcome, status: number, rejection?: string): void {
    if (this.finished) return
    this.finished = true
    this.log.record({
      seq: this.seq,
      at: this.at,
      method: this.method,
      path: this.loggedPath,
      query: [...this.url.searchParams],
      route: this.route,
      status,
      outcome,
      ...(this.fault ? { fault: this.fault } : {}),
      headers: loggableHeaders(this.req.headers),
      bodyBytes: this.bodyBytes,
      decodedBytes: this.decodedBytes || this.bodyBytes,
      storedEvents: this.storedEvents,
      ...(rejection ? { rejection } : {}),
    })
  }
}
