// Splits a log file body into JSON records the way a tolerant client must: one object per line, but also
// objects written back to back (`}{`, `} {`) on one line (docs/logs-platform.md §4).
// The fake uses it to learn event ids of raw bodies; tests use it to read what the fake served.

/**
 * Returns the text of each top-level record. Objects are delimited by brace depth outside strings;
 * anything else that is not whitespace runs to the end of its line and comes back as one (invalid) record.
 */
export function splitJsonRecords(text: string): string[] {
  const records: string[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++
      continue
    }
    if (c === 0x7b /* { */) {
      const end = endOfObject(text, i)
      if (end !== -1) {
        records.push(text.slice(i, end))
        i = end
        continue
      }
    }
    // Garbage or an unterminated object: the rest of the line is one record.
    let eol = text.indexOf('\n', i)
    if (eol === -1) eol = n
    records.push(text.slice(i, eol).replace(/\r$/, ''))
    i = eol
  }
  return records
}

/** Index just past the object that starts at `start`, or -1 when it does not close before a newline at depth 0 breaks it. */
function endOfObject(text: string, start: number): number {
  let depth = 0
  let inString = false
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c /* \ */) i++
      else if (c === 0x22 /* " */) inString = false
      else if (c === 0x0a) return -1 // JSON strings cannot contain a raw newline
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) depth++
    else if (c === 0x7d || c === 0x5d) {
      depth--
      if (depth === 0) return i + 1
    }
  }
  return -1
}

export interface RecordFacts {
  /** The record's `event_id` when it is a JSON object carrying a non-empty string id. */
  eventId?: string
  /** The record's `timestamp` string when present. */
  timestamp?: string
  validJson: boolean
}

export function recordFacts(record: string): RecordFacts {
  let parsed: unknown
  try {
    parsed = JSON.parse(record)
  } catch {
    return { validJson: false }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { validJson: true }
  const { event_id: eventId, timestamp } = parsed as Record<string, unknown>
  return {
    validJson: true,
    ...(typeof eventId === 'string' && eventId !== '' ? { eventId } : {}),
    ...(typeof timestamp === 'string' ? { timestamp } : {}),
  }
}
