// Reading what fake receivers stored as event ids, so a delivery test can say "each event arrived at least
// once" or "exactly once", across one fake or several (a destination moved from one receiver to another).
// The assertions throw plain Errors, so the benchmark and the demo can use them outside vitest.

import type { AcceptedEvent } from './request-log.js'

export interface DeliveredEventsSource {
  acceptedEvents(): readonly AcceptedEvent[]
}

export interface DeliveryTally {
  /** How many times each id was stored, over every given fake. */
  counts: Map<string, number>
  /** The ids stored at least once. */
  ids: Set<string>
  /** Ids stored more than once, in first-seen order. */
  duplicates: string[]
  /** Stored events whose id the fake could not read (see the fake's `eventId` option). */
  withoutId: number
  /** Stored events, repeats included. */
  total: number
}

export function tallyDeliveredEvents(...sources: DeliveredEventsSource[]): DeliveryTally {
  const counts = new Map<string, number>()
  const duplicates: string[] = []
  let withoutId = 0
  let total = 0
  for (const source of sources) {
    for (const { id } of source.acceptedEvents()) {
      total += 1
      if (id === undefined) {
        withoutId += 1
        continue
      }
      const seen = (counts.get(id) ?? 0) + 1
      counts.set(id, seen)
      if (seen === 2) duplicates.push(id)
    }
  }
  return { counts, ids: new Set(counts.keys()), duplicates, withoutId, total }
}

export interface DeliveryComparison {
  /** Expected ids never stored. */
  missing: string[]
  /** Ids stored more than once. */
  duplicates: string[]
  /** Stored ids that were not expected. */
  unexpected: string[]
  withoutId: number
}

export function compareDelivery(expected: Iterable<string>, ...sources: DeliveredEventsSource[]): DeliveryComparison {
  const tally = tallyDeliveredEvents(...sources)
  const wanted = new Set(expected)
  return {
    missing: [...wanted].filter((id) => !tally.ids.has(id)),
    duplicates: tally.duplicates,
    unexpected: [...tally.ids].filter((id) => !wanted.has(id)),
    withoutId: tally.withoutId,
  }
}

/** Throws unless every expected id was stored at least once (and every stored event had a readable id). */
export function assertDeliveredAtLeastOnce(expected: Iterable<string>, ...sources: DeliveredEventsSource[]): void {
  const result = compareDelivery(expected, ...sources)
  const problems = [listed('missing', result.missing), unreadable(result.withoutId)].filter(Boolean)
  if (problems.length > 0) throw new Error(`delivery is not at-least-once: ${problems.join('; ')}`)
}

/** Throws unless every expected id was stored exactly once and nothing else was stored. */
export function assertDeliveredExactlyOnce(expected: Iterable<string>, ...sources: DeliveredEventsSource[]): void {
  const result = compareDelivery(expected, ...sources)
  const problems = [
    listed('missing', result.missing),
    listed('stored more than once', result.duplicates),
    listed('not expected', result.unexpected),
    unreadable(result.withoutId),
  ].filter(Boolean)
  if (problems.length > 0) throw new Error(`delivery is not exactly-once: ${problems.join('; ')}`)
}

function listed(label: string, ids: string[]): string {
  if (ids.length === 0) return ''
  const shown = ids.slice(0, 10).join(', ')
  return `${ids.length} ${label} (${shown}${ids.length > 10 ? ', …' : ''})`
}

function unreadable(count: number): string {
  return count === 0 ? '' : `${count} stored events have no readable id (check the fake's eventId option)`
}
