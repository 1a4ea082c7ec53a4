// How a fake reads the id of an event it stored, for delivered-events.ts. The destinations put a stable id
// in every event (built from the source type and the upstream event_id); where it sits depends on the
// kind's event shape, so every fake takes an `eventId` option and falls back to this reader.

export type EventIdReader<Context = undefined> = (event: unknown, context: Context) => string | undefined

/** The event's own `id`, else its `event_id`, when either is a non-empty string. */
export function defaultEventId(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined
  const record = event as Record<string, unknown>
  for (const key of ['id', 'event_id']) {
    const value = record[key]
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}
