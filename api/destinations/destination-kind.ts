// What a destination kind provides. Adding a kind means one schema file in schemas/destinations/ and
// one file here exporting a DestinationKind, listed in registry.ts. A kind turns a batch of stored
// events into its receiver's wire format and says, per event, what the receiver answered; reading
// batches, cursors, retries, dead letters, acknowledgement bookkeeping and state are the delivery
// loop's (scheduler/delivery-session.ts), the same for every kind.
import type { Logger } from 'pino'
import type { DestinationKindName } from '../../schemas/destination.js'
import type { ConfigurableKind } from '../shared/configurable.js'
import type { HttpClient } from '../shared/http-client.js'
import type { StoredEventOut } from '../store/delivery-repository.js'

/** A stored event on its way out, as the store reads it. */
export type OutgoingEvent = StoredEventOut

export interface OutgoingBatch {
  destinationId: number
  /** Stable across resends of the same events: receivers may deduplicate by it. */
  batchId: string
  events: OutgoingEvent[]
}

/** How the receiver answered one event of a batch the request as a whole got through with. */
export type ItemAnswer = { ok: true } | { ok: false; retry: boolean; reason: string }

export type SendResult =
  /** The receiver answered every event now; `items` is absent when all were taken. */
  | { kind: 'answered'; items?: ItemAnswer[] }
  /** The receiver took the batch and will acknowledge it later under this id (Splunk indexer acks). */
  | { kind: 'awaiting-ack'; ackId: string }

/**
 * A whole request failed. `config`: the receiver refused our credentials or address (401, 403, 404);
 * delivery pauses until the destination is updated or restarted. `retry`: worth another attempt
 * (5xx, 429, timeouts, resets). `refused`: the receiver refused the whole batch for good (another 4xx):
 * every event of it becomes a dead letter. `too_large`: the body was over the receiver's limit (413).
 */
export class DeliveryError extends Error {
  constructor(
    readonly class_: 'config' | 'retry' | 'refused' | 'too_large',
    /** Short machine-readable code, e.g. `http.503`. */
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'DeliveryError'
  }
}

export interface SenderContext {
  destinationId: number
  /** One request per call; the delivery loop retries. */
  http: HttpClient
  signal: AbortSignal
  logger: Logger
  /** What the kind saved last (DeliveryResult.kindState), or undefined the first time. */
  kindState: unknown
}

export interface Sender {
  send(batch: OutgoingBatch): Promise<SendResult>
  /** Kinds with acknowledgements: which of these ack ids the receiver has confirmed. */
  pollAcks?(ackIds: string[]): Promise<Set<string>>
  /** What to save with the next commit (the file kind's open file, the Splunk channel), if anything changed. */
  kindState?(): unknown
  /** Called between batches and when idle (the file kind rotates by age); returns state to save, if any. */
  tick?(): Promise<unknown>
  close?(): Promise<void>
}

export interface DestinationKind<Config = Record<string, unknown>> extends ConfigurableKind {
  readonly type: DestinationKindName
  /** What a delivered event is promised, for the docs and the API description. */
  readonly guarantee: string
  /** The receiver's own limits on one request, below the delivery loop's defaults. */
  readonly limits?: { maxEvents?: number; maxBytes?: number }
  /** Kinds whose receiver acknowledges later: how long an acknowledgement may take before the batch is sent again. */
  readonly acknowledges?: (config: Config) => boolean
  createSender(config: Config, ctx: SenderContext): Promise<Sender>
}
