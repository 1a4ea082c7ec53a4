import { describe, expect, it } from 'vitest'
import { compareTimestamps, formatTimestamp, timestampMicros } from '../../../../api/sources/chatgpt-compliance/timestamps.js'

describe('Logs Platform timestamps', () => {
  it('compare at microsecond precision and across Z / +00:00 / other offsets', () => {
    expect(compareTimestamps('2026-07-16T01:00:00.123456Z', '2026-07-16T01:00:00.123457Z')).toBe(-1)
    expect(compareTimestamps('2026-07-16T01:00:00.123456Z', '2026-07-16T01:00:00.123456+00:00')).toBe(0)
    expect(compareTimestamps('2026-07-16T03:00:00.5+02:00', '2026-07-16T01:00:00.500000Z')).toBe(0)
    expect(compareTimestamps('2026-07-16T01:00:00Z', '2026-07-16T01:00:00.000001Z')).toBe(-1)
    expect(timestampMicros('2026-07-16T01:00:00.1234567Z')).toBe(timestampMicros('2026-07-16T01:00:00.123456Z'))
  })

  it('reject what is not RFC 3339 with a zone', () => {
    for (const bad of ['2026-07-16T01:00:00', '2026-07-16', 'yesterday', '1700000000']) expect(timestampMicros(bad)).toBeUndefined()
  })

  it('format like the Logs Platform (microseconds, Z)', () => {
    expect(formatTimestamp(new Date('2026-10-26T16:00:00.123Z'))).toBe('2026-10-26T16:00:00.123000Z')
  })
})
