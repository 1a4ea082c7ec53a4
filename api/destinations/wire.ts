// What several kinds write the same way: the stable id an event carries to receivers, the event
// object of the events API as NDJSON text, and how an HTTP failure answer is classified.
import crypto from 'node:crypto'
import { parseRetryAfter } from '../shared/http-client.js'
import { DeliveryError, type OutgoingEvent } from './destination-kind.js'

/**
 * Derived from the source type and the upstream event id, never from a database id: collecting the
 * same event again (a source deleted and re-created, a replay) gives the same id, so a receiver that
 * keys by it (Elasticsearch's `_id`) holds it once. Hex sha256: any upstream id fits a receiver's
 * length and character rules.
 */
export function stableEventId(sourceType: string, eventId: string): string {
  return crypto.createHash('sha256').update(sourceType).update('\u0000').update(eventId).digest('hex')
}

/**
 * The event object of the events API (`id`, `type`, `timestamp`, `receivedAt`, `metadata`, `event`)
 * as JSON text, built around the stored texts without parsing them. `timestampField` puts the event
 * time first under that name too (Elasticsearch data streams require `@timestamp`).
 */
export function eventObjectJson(e: OutgoingEvent, timestampField?: string): string {
  const head = timestampField ? `{${JSON.stringify(timestampField)}:${JSON.stringify(e.timestamp)},` : '{'
  return (
    `${head}"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(e.timestamp)},` +
    `"receivedAt":${JSON.stringify(e.receivedAt)},"metadata":${e.metadataJson},"event":${e.raw}}`
  )
}

/** The metadata object of an event, parsed once per distinct text. */
export function metadataOf(e: OutgoingEvent, cache: Map<string, Record<string, unknown>>): Record<string, unknown> {
  let metadata = cache.get(e.metadataJson)
  if (!metadata) {
    metadata = JSON.parse(e.metadataJson) as Record<string, unknown>
    if (cache.size > 1000) cache.clear()
    cache.set(e.metadataJson, metadata)
  }
  return metadata
}

const REASON_BYTES = 512

/**
 * A non-success answer to a whole request. 401/403/404 say our credentials or address are wrong:
 * retrying cannot help until the destination is changed. 408, 429 and 5xx are worth another attempt
 * (429 and 503 after their Retry-After). 413: the body was too large. Any other 4xx refuses the batch
 * for good. Only the start of the receiver's body is kept, as the reason.
 */
export function httpFailure(route: string, res: Response, body: string): DeliveryError {
  const reason = `${route} answered ${res.status}${body ? `: ${body.slice(0, REASON_BYTES)}` : ''}`
  const code = `http.${res.status}`
  if (res.status === 401 || res.status === 403 || res.status === 404) return new DeliveryError('config', code, reason)
  if (res.status === 413) return new DeliveryError('too_large', code, reason)
  if (res.status === 408 || res.status === 429 || res.status >= 500) return new DeliveryError('retry', code, reason, parseRetryAfter(res.headers.get('retry-after')))
  return new DeliveryError('refused', code, reason)
}
