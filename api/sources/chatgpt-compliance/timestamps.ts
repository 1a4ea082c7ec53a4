// Logs Platform timestamps carry microseconds (`2026-07-16T01:00:00.123456Z`), more than a JS Date
// holds, and appear with `Z` or `+00:00`. Cursor comparisons use exact microseconds since the epoch;
// the strings themselves are sent back verbatim (truncating them would re-list boundary files).
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/i

export function timestampMicros(text: string): bigint | undefined {
  const m = ISO.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac = '', zone] = m
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  if (Number.isNaN(ms)) return undefined
  let offsetMinutes = 0
  if (zone!.toUpperCase() !== 'Z') {
    const sign = zone![0] === '-' ? -1 : 1
    const digits = zone!.slice(1).replace(':', '')
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)))
  }
  const micros = BigInt((frac + '000000').slice(0, 6))
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros
}

/** Orders two Logs Platform timestamps; unparsable ones sort first, so they never advance a cursor. */
export function compareTimestamps(a: string, b: string): number {
  const x = timestampMicros(a) ?? -1n
  const y = timestampMicros(b) ?? -1n
  return x < y ? -1 : x > y ? 1 : 0
}

/** `2026-10-26T16:00:00.000000Z`: the shape the Logs Platform itself uses. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
