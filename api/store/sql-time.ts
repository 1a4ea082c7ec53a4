// Timestamps read out of Postgres as RFC 3339 text with microseconds in UTC, the form the API shows:
// a JS Date would drop the microseconds the upstream records carry.
import { type RawBuilder, sql } from 'kysely'

const ISO_MICROS = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

/** `column` (a timestamptz expression) as ISO text with microseconds, UTC. */
export function isoMicros(column: RawBuilder<unknown> | string): RawBuilder<string> {
  const ref = typeof column === 'string' ? sql.raw(column) : column
  return sql<string>`to_char(${ref} at time zone 'UTC', ${sql.raw(ISO_MICROS)})`
}
