// Delivers one claimed destination until the service stops, its lease is lost, its config changes or
// its receiver refuses our credentials. Each turn: ask about batches awaiting acknowledgement, work on
// a requested replay, then send the next batch of one source (sources take turns). A batch's cursor
// moves only in the transaction that records what the receiver answered, so a crash anywhere sends
// again at most the batches in flight. Failures are retried for ever with capped exponential backoff
// (honouring Retry-After) and show in the destination's state; 401, 403 and 404 pause it until it is
// updated or restarted.
import type { Logger } from 'pino'
import type { DestinationState } from '../../schemas/destination.js'
import { DeliveryError, type ItemAnswer, type OutgoingEvent, type Sender } from '../destinations/destination-kind.js'
import { findDestinationKind } from '../destinations/registry.js'
import { eventSelection } from '../destinations/selection.js'
import type { RuntimeMetrics } from '../metrics.js'
import { backoffMs, sleep } from '../shared/backoff.js'
import { revealConfig } from '../shared/configurable.js'
import { HttpClient, RetryableError } from '../shared/http-client.js'
import type { SourceTypes } from '../sources/registry.js'
import type { DeadLettersRepository, ReplayEvent } from '../store/dead-letters-repository.js'
import type { BatchRead, DeadLetterToStore, DeliveryRepository, EventSelection, SourceCursor } from '../store/delivery-repository.js'
import type { DestinationRecord, DestinationsRepository } from '../store/destinations-repository.js'
import { type Claim, LeaseLostError, type Leases } from '../store/leases-repository.js'
import type { SecretBox } from '../store/secrets.js'
import { keepLease } from './lease-keeper.js'

export interface DeliveryTuning {
  /** How often an idle delivery looks for new events. */
  pollMs: number
  /** A batch that is not full waits until its oldest event has been stored this long. */
  lingerMs: number
  maxEvents: number
  maxBytes: number
  /** How often batches awaiting acknowledgement are asked about. */
  ackPollMs: number
  /** An acknowledgement that has not come after this long gets its batch sent again. */
  ackTimeoutMs: number
  /** Batches awaiting acknowledgement at once, per destination. */
  maxPendingBatches: number
  retry: { baseMs: number; capMs: number; maxRetryAfterMs: number }
  timeouts: { headersMs: number; bodyIdleMs: number }
}

export interface DeliveryDeps {
  destinations: DestinationsRepository
  delivery: DeliveryRepository
  deadLetters: DeadLettersRepository
  leases: Leases
  secretBox: SecretBox
  sourceTypes: SourceTypes
  metrics: RuntimeMetrics
  logger: Logger
  leaseMs: number
  tuning: DeliveryTuning
  /**
   * Whether destinations wait that this replica has no free slot for. A session holds its
   * destination for as long as it runs, so without this the destinations beyond
   * OPENC2C_MAX_CONCURRENT_DELIVERIES would never be claimed; an idle session gives its lease back instead.
   */
  othersWaiting?: () => Promise<boolean>
}

export type DeliveryOutcome = 'stopped' | 'lease_lost' | 'paused' | 'changed' | 'gone' | 'disabled' | 'yielded'

/** Config changes are looked for at most this often (one small query). */
const VERSION_CHECK_MS = 500
/** Batches of one source sent in a row before the next source's turn: 8 × 1 MiB by default. */
const BURST = 8
/** During a backoff, a restart or an update is looked for this often. */
const WAKE_CHECK_MS = 250

/** The destination was updated: the session ends, and the new config is claimed at once. */
class ConfigChanged extends Error {}

function isRetryable(err: unknown): boolean {
  return err instanceof RetryableError || (err instanceof DeliveryError && err.class_ === 'retry')
}

export async function runDeliverySession(claim: Claim, deps: DeliveryDeps, stopSignal: AbortSignal): Promise<DeliveryOutcome> {
  const logger = deps.logger.child({ destinationId: claim.id, generation: claim.generation })
  const controller = new AbortController()
  const onStop = () => controller.abort(new Error('the service is stopping'))
  stopSignal.addEventListener('abort', onStop, { once: true })
  if (stopSignal.aborted) onStop()
  const stopRenewing = keepLease(deps.leases, claim, deps.leaseMs, controller, logger)
  let session: DeliverySession | undefined
  const failures = () => session?.failures ?? claim.consecutiveFailures
  const release = (outcome: { nextRunAt?: Date; blocked?: boolean; configVersion?: number }) =>
    deps.leases
      .release(claim, { nextRunAt: outcome.nextRunAt ?? new Date(), blocked: outcome.blocked ?? false, consecutiveFailures: failures(), ...(outcome.configVersion !== undefined ? { configVersion: outcome.configVersion } : {}) })
      .catch((err) => logger.warn({ err }, 'could not release the destination; its lease will expire'))
  try {
    const destination = await deps.destinations.get(claim.id)
    if (!destination) return 'gone'
    if (!destination.enabled) {
      await deps.destinations.setDeliveryState(claim, destination.version, { state: 'Disabled' })
      await release({ blocked: true, configVersion: destination.version })
      return 'disabled'
    }
    session = new DeliverySession(claim, deps, destination, controller.signal, logger)
    const outcome = await session.run()
    if (outcome === 'paused') await release({ blocked: true, configVersion: destination.version })
    // Due at once: the destinations that waited longer are claimed first, and this one takes its turn after them.
    else if (outcome === 'yielded') await release({ nextRunAt: new Date(), configVersion: destination.version })
    else if (outcome !== 'lease_lost' && outcome !== 'gone') await release({ configVersion: destination.version })
    return outcome
  } catch (err) {
    if (err instanceof LeaseLostError || controller.signal.reason instanceof LeaseLostError) return 'lease_lost'
    logger.error({ err }, 'delivery stopped on an internal error')
    await release({ nextRunAt: new Date(Date.now() + backoffMs(failures() + 1, deps.tuning.retry.baseMs, deps.tuning.retry.capMs)) })
    return 'stopped'
  } finally {
    stopRenewing()
    stopSignal.removeEventListener('abort', onStop)
  }
}

class DeliverySession {
  readonly #kind
  readonly #selection: EventSelection
  readonly #labels: { destination_id: string; destination: string; type: string }
  #sender: Sender | undefined
  #state: DestinationState['state'] | undefined
  #nextSource = 0
  #failures: number
  /** Commits of sent batches, in order (see #queueCommit). */
  #commits: Promise<void> = Promise.resolve()
  #lastAckPoll = 0
  #lastVersionCheck = 0
  /** Lowered for the session when the receiver answers 413. */
  #maxEvents: number
  #maxBytes: number
  /** How long until a lingering batch is due, when nothing could be sent this turn. */
  #lingerWaitMs: number | undefined

  constructor(
    private readonly claim: Claim,
    private readonly deps: DeliveryDeps,
    private readonly destination: DestinationRecord,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
  ) {
    this.#kind = findDestinationKind(destination.type)
    this.#failures = claim.consecutiveFailures
    this.#selection = eventSelection(destination.filter, deps.sourceTypes)
    this.#labels = { destination_id: String(destination.id), destination: destination.name, type: destination.type }
    const { tuning } = deps
    this.#maxEvents = Math.min(tuning.maxEvents, this.#kind?.limits?.maxEvents ?? Infinity)
    this.#maxBytes = Math.min(tuning.maxBytes, this.#kind?.limits?.maxBytes ?? Infinity)
  }

  /** Consecutive failures so far, for the lease row when the session ends. */
  get failures(): number {
    return this.#failures
  }

  async run(): Promise<DeliveryOutcome> {
    const kind = this.#kind
    if (!kind) {
      await this.#setState({ state: 'Error', errorType: 'FirstPartyGeneric', errorCode: 'destination.type.unknown', errorInfo: `this replica cannot deliver to destinations of type ${JSON.stringify(this.destination.type)}` })
      return 'paused'
    }
    const config = revealConfig(kind, this.destination.config, this.destination.secrets ? this.deps.secretBox.openJson(this.destination.secrets) : {})
    const { tuning } = this.deps
    const http = new HttpClient({
      signal: this.signal,
      timeouts: tuning.timeouts,
      // One attempt per call: this loop retries, for ever, showing each failure in the state.
      retry: { baseMs: 1, capMs: 1, attempts: 1, maxRetryAfterMs: tuning.retry.maxRetryAfterMs, maxThrottledWaits: 0 },
      giveUp: (error) => error,
    })
    const acknowledged = kind.acknowledges?.(config) ?? false
    for (;;) {
      if (this.signal.aborted) return this.#abortOutcome()
      try {
        if (!this.#sender) {
          const sender = await kind.createSender(config, { destinationId: this.destination.id, http, signal: this.signal, logger: this.logger, kindState: await this.deps.delivery.kindState(this.destination.id) })
          // What a new sender chose (the Splunk channel its ack ids belong to) is stored before any
          // request uses it: batches awaiting acknowledgement are committed without a commitBatch,
          // and a restart must ask about them on the same channel, not resend them.
          const chosen = sender.kindState?.()
          if (chosen !== undefined) await this.deps.delivery.saveKindState(this.claim, chosen)
          this.#sender = sender
        }
        if (await this.#configChanged()) return 'changed'
        this.#lingerWaitMs = undefined
        await this.#settleCommits()
        let worked = false
        if (acknowledged) worked = (await this.#acknowledge()) || worked
        worked = (await this.#replay()) || worked
        worked = (await this.#deliverNext(acknowledged)) || worked
        await this.#settleCommits()
        const kindState = await this.#sender.tick?.()
        if (kindState !== undefined) await this.deps.delivery.saveKindState(this.claim, kindState)
        if (this.#failures > 0 || this.#state !== 'Delivering') {
          this.#failures = 0
          await this.#setState({ state: 'Delivering' })
        }
        if (!worked) {
          if (this.deps.othersWaiting && (await this.deps.othersWaiting())) return 'yielded'
          await sleep(Math.min(this.#lingerWaitMs ?? tuning.pollMs, tuning.pollMs), this.signal)
        }
      } catch (err) {
        if (this.signal.aborted) return this.#abortOutcome()
        // Commits still running belong to batches sent before the failure: let them land (or fail)
        // before anything is read or rebuilt from the database again.
        const commitError = await this.#commits.then(() => undefined, (e: unknown) => e)
        this.#commits = Promise.resolve()
        if (err instanceof LeaseLostError || commitError instanceof LeaseLostError) return 'lease_lost'
        if (err instanceof ConfigChanged) return 'changed'
        // The sender may be ahead of what the database holds: the file kind counts a batch as
        // written before its commit, which may fail, and a failed write may leave a tail. The next
        // attempt starts from a new sender built from the stored state (the file cut back to it).
        this.#sender = undefined
        const failure = classify(err)
        if (failure.class_ === 'config') {
          this.logger.warn({ errorCode: failure.code, err: failure.message }, 'the receiver refused our configuration; delivery pauses until the destination is updated or restarted')
          await this.#setState({ state: 'Error', errorType: 'DestinationConfig', errorCode: failure.code, errorInfo: failure.message })
          return 'paused'
        }
        try {
          await this.#failed(err)
        } catch (waitError) {
          if (this.signal.aborted) return this.#abortOutcome()
          if (waitError instanceof ConfigChanged) return 'changed'
          throw waitError
        }
      }
    }
  }

  #abortOutcome(): DeliveryOutcome {
    return this.signal.reason instanceof LeaseLostError ? 'lease_lost' : 'stopped'
  }

  async #configChanged(): Promise<boolean> {
    if (Date.now() - this.#lastVersionCheck < VERSION_CHECK_MS) return false
    this.#lastVersionCheck = Date.now()
    const version = await this.deps.destinations.version(this.destination.id)
    if (version === undefined) throw new LeaseLostError(this.destination.id, 'destination')
    return version !== this.destination.version
  }

  async #setState(state: DestinationState): Promise<void> {
    if (state.state === this.#state && state.state !== 'Error') return
    await this.deps.destinations.setDeliveryState(this.claim, this.destination.version, state)
    this.#state = state.state
  }

  /**
   * Sends the next batch of the next source with something to send. Returns false when nothing was
   * due (caught up, lingering, or waiting on acknowledgements).
   */
  async #deliverNext(acknowledged: boolean): Promise<boolean> {
    const { delivery } = this.deps
    if (acknowledged && (await delivery.pending(this.destination.id)).length >= this.deps.tuning.maxPendingBatches) return false
    const sources = await delivery.sourceCursors(this.destination.id, this.destination.startSeq, this.#selection)
    for (let i = 0; i < sources.length; i++) {
      const source = sources[(this.#nextSource + i) % sources.length]!
      const sent = await this.#deliverSource(source, acknowledged)
      if (sent) {
        this.#nextSource = (this.#nextSource + i + 1) % sources.length
        return true
      }
    }
    return false
  }

  /**
   * Up to BURST batches of one source, pipelined: the next batch is read from the store while the
   * current one is with the receiver, and a batch's commit runs while the next one is sent (commits
   * stay in order). Sources take turns between bursts. Returns false when nothing was due.
   */
  async #deliverSource(source: SourceCursor, acknowledged: boolean): Promise<boolean> {
    const { delivery, tuning } = this.deps
    const read = (afterSeq: number) => {
      const pending = delivery.readBatch(source, afterSeq, this.#selection, { maxEvents: this.#maxEvents, maxBytes: this.#maxBytes })
      pending.catch(() => {}) // awaited below; a prefetch abandoned by an error must not go unhandled
      return pending
    }
    let next: Promise<BatchRead> | undefined = read(source.sentSeq)
    let sent = false
    for (let i = 0; i < BURST && next; i++) {
      const batch: BatchRead = await next
      next = undefined
      if (batch.events.length === 0) {
        // Nothing matched above the cursor: pass over what did not match, unless batches of this
        // source still await acknowledgement (the cursor moves over them first).
        if (!sent && batch.highSeq > source.sentSeq && source.sentSeq === source.deliveredSeq) {
          await this.#settleCommits()
          await delivery.commitBatch(this.claim, { sourceId: source.sourceId, toSeq: batch.highSeq, delivered: 0, deadLetters: [] })
          return true
        }
        return sent
      }
      if (!batch.full) {
        const waitedMs = Date.now() - Date.parse(batch.events[0]!.receivedAt)
        if (waitedMs < tuning.lingerMs) {
          this.#lingerWaitMs = Math.min(this.#lingerWaitMs ?? Infinity, tuning.lingerMs - waitedMs)
          return sent
        }
      }
      // All matching events up to highSeq are in a batch that is not full: the cursor may pass them all.
      const toSeq = batch.full ? batch.events.at(-1)!.seq : Math.max(batch.events.at(-1)!.seq, batch.highSeq)
      if (batch.full && !acknowledged) next = read(toSeq)
      await this.#send(source.sourceId, batch.events, toSeq, acknowledged)
      sent = true
    }
    return sent
  }

  /** Runs a batch's commit after the ones before it, without waiting for it; #settleCommits surfaces failures. */
  #queueCommit(commit: () => Promise<void>): void {
    this.#commits = this.#commits.then(commit)
    this.#commits.catch(() => {})
  }

  async #settleCommits(): Promise<void> {
    await this.#commits
  }

  /**
   * Sends until every event is answered for good: delivered, or refused (a dead letter). A request
   * that fails as a whole and is worth another attempt is sent again as it was, under the same batch
   * id, after a backoff; events the receiver asks to get again are sent again alone. Then the cursor
   * moves, in a commit queued behind the ones before it.
   */
  async #send(sourceId: number, events: OutgoingEvent[], toSeq: number, acknowledged: boolean): Promise<void> {
    const deadLetters: DeadLetterToStore[] = []
    let delivered = 0
    let pending = this.#tooLargeForReceiver(events, deadLetters)
    const batchId = `${this.destination.id}-${sourceId}-${events[0]?.seq ?? toSeq}-${toSeq}`
    while (pending.length > 0) {
      let answers: ItemAnswer[]
      try {
        const result = await this.#timed(() => this.#sender!.send({ destinationId: this.destination.id, batchId, events: pending }))
        if (result.kind === 'awaiting-ack') {
          if (!acknowledged) throw new DeliveryError('retry', 'ack.unexpected', 'the receiver answered with an acknowledgement id the destination does not wait for')
          // Events the receiver took earlier in this batch count once the acknowledgement comes.
          await this.deps.delivery.savePending(this.claim, { sourceId, fromSeq: pending[0]!.seq, toSeq, events: pending.length + delivered, ackId: result.ackId })
          if (deadLetters.length > 0) await this.deps.delivery.addDeadLetters(this.claim, sourceId, deadLetters)
          this.#recordDeadLetters(deadLetters.length)
          return
        }
        answers = result.items ?? pending.map(() => ({ ok: true }))
      } catch (err) {
        if (isRetryable(err)) {
          await this.#failed(err)
          continue
        }
        if (!(err instanceof DeliveryError)) throw err
        if (err.class_ === 'refused') {
          for (const e of pending) deadLetters.push({ eventId: e.id, seq: e.seq, reason: err.message })
          break
        }
        if (err.class_ === 'too_large' && pending.length > 1) {
          // The receiver's limit is below ours: halve the batches of this session and send this one in halves.
          this.#maxEvents = Math.max(1, Math.floor(pending.length / 2))
          this.#maxBytes = Math.max(1024, Math.floor(this.#maxBytes / 2))
          this.logger.warn({ events: pending.length, maxEvents: this.#maxEvents }, 'the receiver found the batch too large; sending smaller batches')
          const half = pending.slice(0, this.#maxEvents)
          await this.#send(sourceId, half, half.at(-1)!.seq, acknowledged)
          pending = pending.slice(this.#maxEvents)
          continue
        }
        if (err.class_ === 'too_large') {
          deadLetters.push({ eventId: pending[0]!.id, seq: pending[0]!.seq, reason: err.message })
          break
        }
        throw err
      }
      const retry: OutgoingEvent[] = []
      answers.forEach((answer, i) => {
        const event = pending[i]!
        if (answer.ok) delivered++
        else if (answer.retry) retry.push(event)
        else deadLetters.push({ eventId: event.id, seq: event.seq, reason: answer.reason })
      })
      pending = retry
      if (retry.length > 0) {
        const reason = (answers.find((a) => !a.ok && a.retry) as { reason: string }).reason
        this.logger.warn({ retry: retry.length, of: answers.length, reason }, 'the receiver asked for some events again')
        await this.#failed(new DeliveryError('retry', 'items.retry', `${retry.length} of ${answers.length} events: ${reason}`))
      }
    }
    const kindState = this.#sender!.kindState?.()
    this.#queueCommit(async () => {
      await this.deps.delivery.commitBatch(this.claim, { sourceId, toSeq, delivered, deadLetters, kindState })
      this.deps.metrics.destinationEventsDelivered.inc(this.#labels, delivered)
      this.#recordDeadLetters(deadLetters.length)
    })
  }

  /**
   * A failure worth another attempt: counted, shown in the state, then a capped exponential backoff
   * (or the receiver's Retry-After). A restart or an update of the destination ends the wait early.
   */
  async #failed(err: unknown): Promise<void> {
    const failure = classify(err)
    const failures = await this.deps.delivery.recordFailure(this.claim)
    this.#failures = failures
    if (failure.internal) this.logger.error({ err }, 'delivery failed on an internal error; retrying')
    else this.logger.warn({ errorCode: failure.code, err: failure.message, failures }, 'delivery failed; retrying')
    await this.#setState({ state: 'Error', errorType: failure.internal ? 'FirstPartyGeneric' : 'DestinationGeneric', errorCode: failure.code, errorInfo: failure.message })
    const { retry } = this.deps.tuning
    const waitMs = failure.retryAfterMs !== undefined ? Math.min(failure.retryAfterMs, retry.maxRetryAfterMs) : backoffMs(failures, retry.baseMs, retry.capMs)
    const until = Date.now() + waitMs
    while (Date.now() < until) {
      await sleep(Math.min(WAKE_CHECK_MS, until - Date.now()), this.signal)
      if (await this.deps.destinations.takeRestartRequest(this.destination.id)) {
        this.logger.info('restarted: retrying at once')
        return
      }
      this.#lastVersionCheck = 0
      if (await this.#configChanged()) throw new ConfigChanged()
    }
  }

  /** Events larger than the receiver takes in one request can never be sent: dead letters at once. */
  #tooLargeForReceiver(events: OutgoingEvent[], deadLetters: DeadLetterToStore[]): OutgoingEvent[] {
    const limit = this.#kind?.limits?.maxBytes
    if (limit === undefined) return events
    return events.filter((e) => {
      const bytes = Buffer.byteLength(e.raw)
      if (bytes < limit) return true
      deadLetters.push({ eventId: e.id, seq: e.seq, reason: `the event is ${bytes} bytes, more than the receiver takes in one request (${limit})` })
      return false
    })
  }

  #recordDeadLetters(n: number): void {
    if (n > 0) this.deps.metrics.destinationDeadLetters.inc(this.#labels, n)
  }

  async #timed<T extends { kind: string }>(call: () => Promise<T>): Promise<T> {
    const end = this.deps.metrics.destinationRequestDuration.startTimer({ destination_id: this.#labels.destination_id, type: this.#labels.type })
    try {
      const result = await call()
      end({ outcome: result.kind === 'awaiting-ack' ? 'awaiting_ack' : 'ok' })
      return result
    } catch (err) {
      end({ outcome: err instanceof DeliveryError ? err.class_ : 'retry' })
      throw err
    }
  }

  /**
   * Asks the receiver about batches awaiting acknowledgement: acknowledged ones count as delivered
   * (each source's cursor moves over its leading run of them); one whose acknowledgement has not come
   * within the timeout is sent again, with a new acknowledgement id, and is never given up.
   */
  async #acknowledge(): Promise<boolean> {
    const { delivery, tuning } = this.deps
    if (Date.now() - this.#lastAckPoll < tuning.ackPollMs) return false
    const pending = (await delivery.pending(this.destination.id)).filter((p) => !p.acked)
    if (pending.length === 0) return false
    this.#lastAckPoll = Date.now()
    const confirmed = await this.#sender!.pollAcks!(pending.map((p) => p.ackId))
    const acked = pending.filter((p) => confirmed.has(p.ackId))
    if (acked.length > 0) {
      const delivered = await delivery.acknowledge(this.claim, acked)
      this.deps.metrics.destinationEventsDelivered.inc(this.#labels, delivered)
    }
    for (const p of pending) {
      if (confirmed.has(p.ackId) || Date.now() - p.sentAt.getTime() < tuning.ackTimeoutMs) continue
      this.logger.warn({ sourceId: p.sourceId, toSeq: p.toSeq, ackId: p.ackId, waitedMs: Date.now() - p.sentAt.getTime() }, 'no acknowledgement in time; sending the batch again')
      await this.#setState({ state: 'Error', errorType: 'DestinationGeneric', errorCode: 'ack.timeout', errorInfo: `ack ${p.ackId} not confirmed within ${tuning.ackTimeoutMs} ms; the batch was sent again` })
      const source = { sourceId: p.sourceId, sourceType: await delivery.sourceType(p.sourceId) }
      const read = await delivery.readBatch(source, p.fromSeq - 1, this.#selection, { maxEvents: Math.max(p.events, 1), maxBytes: Infinity, toSeq: p.toSeq })
      const events = read.events
      if (events.length === 0) {
        await delivery.acknowledge(this.claim, [p])
        continue
      }
      const result = await this.#timed(() => this.#sender!.send({ destinationId: this.destination.id, batchId: `${this.destination.id}-${p.sourceId}-${p.fromSeq}-${p.toSeq}`, events }))
      if (result.kind === 'awaiting-ack') await delivery.savePending(this.claim, { sourceId: p.sourceId, fromSeq: p.fromSeq, toSeq: p.toSeq, events: p.events, ackId: result.ackId })
      else await delivery.acknowledge(this.claim, [p])
    }
    return acked.length > 0
  }

  /** One batch of a requested replay (the dead letters, or a stored time range), if one waits. */
  async #replay(): Promise<boolean> {
    const { deadLetters } = this.deps
    const replay = await deadLetters.nextReplay(this.destination.id)
    if (!replay) return false
    const events = await deadLetters.readReplay(this.destination.id, replay, this.#selection, { maxEvents: this.#maxEvents, maxBytes: this.#maxBytes })
    if (events.length === 0) {
      await deadLetters.commitReplay(this.claim, replay, { delivered: [], refused: [], finished: true })
      this.logger.info({ replay: replay.id, kind: replay.kind }, 'replay finished')
      return true
    }
    const refused: { event: ReplayEvent; reason: string }[] = events.filter((e) => e.raw === '').map((event) => ({ event, reason: 'the event is no longer stored (retention)' }))
    let pending = events.filter((e) => e.raw !== '')
    const delivered: ReplayEvent[] = []
    while (pending.length > 0) {
      const batchId = `${this.destination.id}-replay-${replay.id}-${pending[0]!.seq}`
      let answers: ItemAnswer[]
      try {
        const result = await this.#timed(() => this.#sender!.send({ destinationId: this.destination.id, batchId, events: pending }))
        answers = result.kind === 'awaiting-ack' ? await this.#awaitAck(result.ackId, pending.length) : (result.items ?? pending.map(() => ({ ok: true })))
      } catch (err) {
        if (isRetryable(err)) {
          await this.#failed(err)
          continue
        }
        if (err instanceof DeliveryError && (err.class_ === 'refused' || err.class_ === 'too_large')) {
          for (const event of pending) refused.push({ event, reason: err.message })
          break
        }
        throw err
      }
      const retry: ReplayEvent[] = []
      answers.forEach((answer, i) => {
        const event = pending[i]!
        if (answer.ok) delivered.push(event)
        else if (answer.retry) retry.push(event)
        else refused.push({ event, reason: answer.reason })
      })
      pending = retry
      if (retry.length > 0) await this.#failed(new DeliveryError('retry', 'items.retry', `${retry.length} of ${answers.length} replayed events were asked for again`))
    }
    await deadLetters.commitReplay(this.claim, replay, { delivered, refused, finished: false })
    this.deps.metrics.destinationEventsDelivered.inc(this.#labels, delivered.length)
    this.#recordDeadLetters(refused.length)
    return true
  }

  /** A replayed batch waits for its own acknowledgement; one that does not come in time counts as to be sent again. */
  async #awaitAck(ackId: string, events: number): Promise<ItemAnswer[]> {
    const { tuning } = this.deps
    const started = Date.now()
    while (Date.now() - started < tuning.ackTimeoutMs) {
      await sleep(tuning.ackPollMs, this.signal)
      if ((await this.#sender!.pollAcks!([ackId])).has(ackId)) return Array.from({ length: events }, () => ({ ok: true }))
    }
    return Array.from({ length: events }, () => ({ ok: false, retry: true, reason: `ack ${ackId} not confirmed within ${tuning.ackTimeoutMs} ms` }))
  }
}

function classify(err: unknown): { class_: string; code: string; message: string; retryAfterMs?: number; internal: boolean } {
  if (err instanceof DeliveryError) return { class_: err.class_, code: err.code, message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), internal: false }
  if (err instanceof RetryableError) return { class_: 'retry', code: err.code, message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}), internal: false }
  return { class_: 'retry', code: 'internal', message: `internal error: ${(err as Error)?.message ?? String(err)}`, internal: true }
}
