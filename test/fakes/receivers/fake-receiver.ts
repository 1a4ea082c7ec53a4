// What every fake receiver shares: the listener, the fault pipeline, the request log and the store of
// accepted events. A kind supplies its routes, its processing and its answers in its own shapes.
//
// A request of a matched route goes: armed fault taken → (reset: cut mid-body) → body read →
// (hang: maybe store, never answer) → (401/429/5xx fault: answered in the kind's shape) → delay →
// the kind's own checks and storage → answer.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { FaultSwitches, type RequestFault } from './fault-switches.js'
import { Exchange, textReply, type Reply } from './http-exchange.js'
import { startListener, sleep, type Listener, type ListenOptions } from './receiver-listener.js'
import { RequestLog, type AcceptedEvent, type ContractViolation, type RecordedRequest } from './request-log.js'

export type ReceiverKind = 'splunk_hec' | 'elasticsearch' | 'sumo_http' | 'webhook'

export interface ReceiverOptions extends ListenOptions {
  /**
   * Keep each accepted event's parsed body (default true). A benchmark that only counts ids sets false,
   * so the fake's own memory stays flat while the sender's is measured.
   */
  retainEvents?: boolean
  /** Largest request body read, as sent; a bigger one gets 413 and its connection closed. Default 128 MiB. */
  maxBodyBytes?: number
}

export type AnsweredFault = Exclude<RequestFault, { kind: 'hang' } | { kind: 'reset' }>

export abstract class FakeReceiver<R extends string> {
  abstract readonly kind: ReceiverKind
  readonly faults: FaultSwitches<R>
  protected readonly log = new RequestLog()
  private readonly accepted: AcceptedEvent[] = []
  private listener: Listener | undefined
  private delayed = 0
  protected readonly retainEvents: boolean
  private readonly maxBodyBytes: number

  protected constructor(
    defaultRoute: R,
    private readonly listenOptions: ReceiverOptions,
  ) {
    this.faults = new FaultSwitches(defaultRoute)
    this.retainEvents = listenOptions.retainEvents ?? true
    this.maxBodyBytes = listenOptions.maxBodyBytes ?? 128 * 1024 * 1024
  }

  /** The address a destination is configured with (see each kind for what it includes). */
  abstract get url(): string

  get port(): number {
    return this.started.port
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    return this.started.origin
  }

  /** Every request, in arrival order (see RecordedRequest). */
  get requests(): readonly RecordedRequest[] {
    return this.log.entries
  }

  /** Contract breaches the real receiver would have let through (see ContractViolation). */
  get violations(): readonly ContractViolation[] {
    return this.log.violations
  }

  /** Requests whose body arrived and that are waiting out `faults.setDelay`: the backlog at a slow receiver. */
  get delayedRequests(): number {
    return this.delayed
  }

  /** Every event the fake stored, in order, repeats included: the input of delivered-events.ts. */
  acceptedEvents(): readonly AcceptedEvent[] {
    return this.accepted
  }

  requestsTo(route: R | 'unmatched', status?: number): RecordedRequest[] {
    return this.log.entries.filter((r) => r.route === route && (status === undefined || r.status === status))
  }

  /** Forgets requests, violations and stored events (kind records too); faults stay armed. */
  clearRecords(): void {
    this.log.clear()
    this.accepted.length = 0
    this.clearKindRecords()
  }

  async start(): Promise<this> {
    if (this.listener) throw new Error('already started')
    this.listener = await startListener(this.listenOptions, (req, res) => this.onRequest(req, res))
    return this
  }

  /** Stops listening and ends every open connection, hung requests included. */
  async close(): Promise<void> {
    await this.listener?.close()
  }

  /** The route of a request, or undefined for a 404. May set `ex.loggedPath`. */
  protected abstract match(ex: Exchange): R | undefined
  /** The kind's checks, storage and answer for a request whose body has arrived. */
  protected abstract process(ex: Exchange, body: Buffer): Reply
  /** A 401, 429 or 5xx fault in the kind's own shape. */
  protected abstract faultReply(fault: AnsweredFault, ex: Exchange): Reply
  protected abstract notFound(ex: Exchange): Reply
  protected abstract clearKindRecords(): void

  protected tooLarge(): Reply {
    return textReply(413, 'Request Entity Too Large', {}, `body over ${this.maxBodyBytes} bytes`)
  }

  /** Stores one accepted event of `ex`. */
  protected storeEvent(ex: Exchange, id: string | undefined, event: unknown): void {
    this.accepted.push({ id, requestSeq: ex.seq, event: this.retainEvents ? event : undefined })
    ex.storedEvents += 1
  }

  protected violation(ex: Exchange, rule: string, detail: string): void {
    this.log.violation(ex.seq, rule, detail)
  }

  private get started(): Listener {
    if (!this.listener) throw new Error('the fake receiver is not started: await start() (or use its start… function)')
    return this.listener
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const ex = new Exchange(this.log.nextSeq(), req, res, this.log)
    const route = this.match(ex)
    if (route === undefined) {
      void ex.readBody(this.maxBodyBytes, () => this.tooLarge()).then((body) => body && ex.send(this.notFound(ex)))
      return
    }
    ex.route = route
    this.serve(ex, route).catch((err: unknown) => {
      // A bug in the fake: answer loudly rather than leave the client to time out.
      ex.send(textReply(500, `fake receiver failure: ${err instanceof Error ? err.stack : String(err)}`))
    })
  }

  private async serve(ex: Exchange, route: R): Promise<void> {
    const fault = this.faults.take(route)
    if (fault) ex.fault = fault.kind
    if (fault?.kind === 'reset') return ex.resetAfter(fault.afterBytes)
    const body = await ex.readBody(this.maxBodyBytes, () => this.tooLarge())
    if (body === undefined) return
    if (fault?.kind === 'hang') {
      if (fault.accept) this.process(ex, body)
      return ex.hang()
    }
    if (fault) return ex.send(this.faultReply(fault, ex))
    const delay = this.faults.delayFor(route)
    if (delay > 0) {
      ex.fault = 'slow'
      this.delayed += 1
      const waited = await sleep(delay, this.started.closing)
      this.delayed -= 1
      if (!waited) return ex.abandon()
    }
    ex.send(this.process(ex, body))
  }
}
