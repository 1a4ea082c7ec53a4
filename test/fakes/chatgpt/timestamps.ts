// Microsecond timestamps for the fake Compliance API.
//
// The Logs Platform renders `end_time` with six fractional digits and compares `after` against it strictly.
// A JS Date holds milliseconds only, so a cursor like `…00.123456Z` would collapse onto `…00.123000Z` and
// re-list or skip boundary files. Everything here works on BigInt microseconds since the Unix epoch.

/** Microseconds since 1970-01-01T00:00:00Z. */
export type EpochMicros = bigint

export type TimestampParseResult =
  | { ok: true; micros: EpochMicros }
  | { ok: false; reason: 'invalid' | 'no_timezone' }

// Accepts what a pydantic `AwareDatetime` query parameter accepts in practice: a date, `T` or a space,
// hh:mm[:ss[.f{1,6}]], then `Z` or an offset (`+hh:mm` or `+hhmm`). More than six fractional digits are
// rejected rather than silently truncated, so a client sending nanoseconds finds out.
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/

export function parseIsoTimestamp(text: string): TimestampParseResult {
  const m = ISO_DATETIME.exec(text)
  if (!m) return { ok: false, reason: 'invalid' }
  const [, y, mo, d, h, mi, s = '0', frac = '', zulu, sign, offH, offM] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return { ok: false, reason: 'invalid' }
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'invalid' }
  if (!zulu && !sign) return { ok: false, reason: 'no_timezone' }
  let offsetMinutes = 0
  if (sign) {
    const oh = Number(offH)
    const om = Number(offM)
    if (oh > 23 || om > 59) return { ok: false, reason: 'invalid' }
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const date = new Date(0)
  // setUTCFullYear keeps years below 100 literal (Date.UTC would map 0099 to 1999).
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const micros = BigInt(date.getTime()) * 1000n + BigInt(frac.padEnd(6, '0')) - BigInt(offsetMinutes) * 60_000_000n
  return { ok: true, micros }
}

/** Parses a timestamp that the caller vouches for (test input, options); throws on anything else. */
export function toMicros(value: string | Date | EpochMicros): EpochMicros {
  if (typeof value === 'bigint') return value
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) throw new Error('invalid Date')
    return BigInt(ms) * 1000n
  }
  const parsed = parseIsoTimestamp(value)
  if (!parsed.ok) throw new Error(`not an ISO-8601 timestamp with timezone: ${JSON.stringify(value)}`)
  return parsed.micros
}

/** `2026-07-16T01:00:00.123456Z`: the rendering of `end_time`, `last_end_time` and event `timestamp`. */
export function formatMicrosZ(micros: EpochMicros): string {
  return formatMicros(micros) + 'Z'
}

/** `2026-07-16T01:00:00.123456+00:00`: the rendering used inside log file names. */
export function formatMicrosOffset(micros: EpochMicros): string {
  return formatMicros(micros) + '+00:00'
}

export function microsToDate(micros: EpochMicros): Date {
  return new Date(Number(floorDiv(micros, 1000n)))
}

export function msToMicros(ms: number): EpochMicros {
  return BigInt(Math.floor(ms)) * 1000n
}

export const MICROS_PER_SECOND = 1_000_000n
export const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND

function formatMicros(micros: EpochMicros): string {
  const ms = floorDiv(micros, 1000n)
  const subMs = micros - ms * 1000n
  const iso = new Date(Number(ms)).toISOString() // YYYY-MM-DDTHH:MM:SS.mmmZ
  return iso.slice(0, 23) + subMs.toString().padStart(3, '0')
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0)
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}
