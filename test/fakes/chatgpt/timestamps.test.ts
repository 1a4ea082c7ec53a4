import { describe, expect, it } from 'vitest'
import { formatMicrosOffset, formatMicrosZ, parseIsoTimestamp, toMicros } from './timestamps.js'

const micros = (text: string): bigint => {
  const parsed = parseIsoTimestamp(text)
  if (!parsed.ok) throw new Error(`${text}: ${parsed.reason}`)
  return parsed.micros
}

describe('timestamps', () => {
  it('keeps all six fractional digits (a Date would drop three)', () => {
    const a = micros('2026-07-16T01:00:00.123456Z')
    const b = micros('2026-07-16T01:00:00.123457Z')
    expect(b - a).toBe(1n)
    expect(formatMicrosZ(a)).toBe('2026-07-16T01:00:00.123456Z')
    expect(formatMicrosOffset(a)).toBe('2026-07-16T01:00:00.123456+00:00')
  })

  it('treats Z, +00:00, +0000 and other offsets as the same instant', () => {
    const z = micros('2026-07-16T01:00:00.5Z')
    expect(micros('2026-07-16T01:00:00.500000+00:00')).toBe(z)
    expect(micros('2026-07-16T01:00:00.500000+0000')).toBe(z)
    expect(micros('2026-07-16T03:30:00.5+02:30')).toBe(z)
    expect(micros('2026-07-15T20:00:00.5-05:00')).toBe(z)
    expect(micros('2026-07-16 01:00:00.5Z')).toBe(z)
    expect(micros('2026-07-16T01:00Z')).toBe(micros('2026-07-16T01:00:00.000000Z'))
  })

  it('rejects timestamps without a timezone separately from garbage', () => {
    expect(parseIsoTimestamp('2026-07-16T01:00:00')).toEqual({ ok: false, reason: 'no_timezone' })
    expect(parseIsoTimestamp('2026-07-16')).toEqual({ ok: false, reason: 'invalid' })
    expect(parseIsoTimestamp('yesterday')).toEqual({ ok: false, reason: 'invalid' })
    expect(parseIsoTimestamp('')).toEqual({ ok: false, reason: 'invalid' })
    expect(parseIsoTimestamp('1752627600')).toEqual({ ok: false, reason: 'invalid' })
    // A '+' sent unencoded in a query string arrives as a space.
    expect(parseIsoTimestamp('2026-07-16T01:00:00 00:00')).toEqual({ ok: false, reason: 'invalid' })
  })

  it('rejects impossible dates and more than six fractional digits', () => {
    expect(parseIsoTimestamp('2026-02-29T00:00:00Z').ok).toBe(false)
    expect(parseIsoTimestamp('2028-02-29T00:00:00Z').ok).toBe(true)
    expect(parseIsoTimestamp('2026-13-01T00:00:00Z').ok).toBe(false)
    expect(parseIsoTimestamp('2026-07-16T24:00:00Z').ok).toBe(false)
    expect(parseIsoTimestamp('2026-07-16T01:00:00.1234567Z').ok).toBe(false)
  })

  it('converts Dates and round-trips through formatting', () => {
    const date = new Date('2026-07-16T01:02:03.004Z')
    expect(toMicros(date)).toBe(micros('2026-07-16T01:02:03.004000Z'))
    for (const text of ['1999-12-31T23:59:59.999999Z', '2026-07-16T01:00:00.000001Z', '1970-01-01T00:00:00.000000Z']) {
      expect(formatMicrosZ(micros(text))).toBe(text)
    }
    expect(() => toMicros('2026-07-16T01:00:00')).toThrow(/timezone/)
  })
})
