// Streams the records of a downloaded log file. The body is JSON Lines, but the final newline may be
// missing and some bodies hold concatenated objects (`}{` or `} {`) on one line. Every record comes
// out either as an event (raw text kept byte for byte) or as a malformed record with its reason, so a
// bad line is quarantined instead of blocking the source or vanishing. A record is identified by its
// line number and its `part`, the ordinal of the object within the line (0 unless the line holds
// concatenated objects). Memory stays bounded by the longest line, capped at MAX_LINE_BYTES.
import fs from 'node:fs'

export const MAX_LINE_BYTES = 64 * 1024 * 1024
/** What is kept of a quarantined record's text. */
export const MAX_QUARANTINED_BYTES = 1024 * 1024

export type FileRecord =
  | { kind: 'event'; lineNumber: number; part: number; raw: string; eventId: string; timestamp: string | undefined; type: string | undefined }
  | { kind: 'malformed'; lineNumber: number; part: number; raw: string; rawBytes: number; reason: string }

/**
 * A malformed record's position in its file, as quarantine keys it: "line 12", or "line 12, object 2"
 * for the second of several objects concatenated on one line.
 */
export function quarantinePosition(record: { lineNumber: number; part: number }): string {
  return record.part > 0 ? `line ${record.lineNumber}, object ${record.part + 1}` : `line ${record.lineNumber}`
}

export async function* readRecords(path: string): AsyncGenerator<FileRecord> {
  let lineNumber = 0
  let pending: Buffer[] = []
  let pendingBytes = 0
  let oversized = false
  const stream = fs.createReadStream(path, { highWaterMark: 1024 * 1024 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0
    for (;;) {
      const newline = chunk.indexOf(0x0a, start)
      if (newline === -1) break
      lineNumber++
      const piece = chunk.subarray(start, newline)
      start = newline + 1
      if (oversized) {
        yield oversizedRecord(lineNumber, pending, pendingBytes + piece.length)
      } else if (pending.length > 0) {
        yield* lineRecords(lineNumber, Buffer.concat([...pending, piece]))
      } else {
        yield* lineRecords(lineNumber, piece)
      }
      pending = []
      pendingBytes = 0
      oversized = false
    }
    const rest = chunk.subarray(start)
    if (rest.length > 0) {
      if (pendingBytes + rest.length > MAX_LINE_BYTES) {
        // Keep only the prefix that will be quarantined; drop the rest of the line as it streams by.
        if (!oversized) pending = [Buffer.concat(pending).subarray(0, MAX_QUARANTINED_BYTES)]
        oversized = true
        pendingBytes += rest.length
      } else {
        pending.push(Buffer.from(rest))
        pendingBytes += rest.length
      }
    }
  }
  if (pendingBytes > 0) {
    lineNumber++
    if (oversized) yield oversizedRecord(lineNumber, pending, pendingBytes)
    else yield* lineRecords(lineNumber, Buffer.concat(pending))
  }
}

function oversizedRecord(lineNumber: number, prefix: Buffer[], bytes: number): FileRecord {
  const raw = Buffer.concat(prefix).subarray(0, MAX_QUARANTINED_BYTES).toString('utf8')
  return { kind: 'malformed', lineNumber, part: 0, raw, rawBytes: bytes, reason: `line is longer than ${MAX_LINE_BYTES} bytes` }
}

function* lineRecords(lineNumber: number, bytes: Buffer): Generator<FileRecord> {
  let text = bytes.toString('utf8')
  if (text.endsWith('\r')) text = text.slice(0, -1)
  if (text.trim() === '') return
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const parts = splitConcatenated(text)
    if (parts.length > 1) {
      for (let part = 0; part < parts.length; part++) yield toRecord(lineNumber, part, parts[part]!)
      return
    }
    yield malformed(lineNumber, 0, text, 'not valid JSON')
    return
  }
  yield toRecord(lineNumber, 0, text, value)
}

function toRecord(lineNumber: number, part: number, raw: string, parsed?: unknown): FileRecord {
  let value = parsed
  if (value === undefined) {
    try {
      value = JSON.parse(raw)
    } catch {
      return malformed(lineNumber, part, raw, 'not valid JSON')
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return malformed(lineNumber, part, raw, 'not a JSON object')
  const event = value as Record<string, unknown>
  if (typeof event.event_id !== 'string' || event.event_id.length === 0) return malformed(lineNumber, part, raw, 'no event_id')
  if (event.event_id.length > 512) return malformed(lineNumber, part, raw, 'event_id is longer than 512 characters')
  // The event_id is a key column. Postgres text cannot hold NUL (the insert fails, and with it the
  // batch on every retry), and an unpaired surrogate would be stored as U+FFFD, merging distinct ids.
  // Only the parsed id matters: the raw text holds these as escapes (`\u0000`), which store fine.
  if (event.event_id.includes('\u0000')) return malformed(lineNumber, part, raw, 'event_id contains a NUL character')
  if (!event.event_id.isWellFormed()) return malformed(lineNumber, part, raw, 'event_id is not valid Unicode (unpaired surrogate)')
  return {
    kind: 'event',
    lineNumber,
    part,
    raw,
    eventId: event.event_id,
    timestamp: typeof event.timestamp === 'string' ? event.timestamp : undefined,
    type: typeof event.type === 'string' ? event.type : undefined,
  }
}

function malformed(lineNumber: number, part: number, raw: string, reason: string): FileRecord {
  const bytes = Buffer.byteLength(raw)
  return {
    kind: 'malformed',
    lineNumber,
    part,
    raw: bytes > MAX_QUARANTINED_BYTES ? Buffer.from(raw).subarray(0, MAX_QUARANTINED_BYTES).toString('utf8') : raw,
    rawBytes: bytes,
    reason,
  }
}

/**
 * Splits `{...}{...} {...}` into its top-level values by tracking string and nesting state. Returns
 * one part (the whole text) when the text isn't a sequence of complete values; the caller then
 * quarantines it.
 */
export function splitConcatenated(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let inString = false
  let escaped = false
  let start = -1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (escaped) escaped = false
      else if (c === 0x5c) escaped = true
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) {
      inString = true
      if (start === -1) return [text]
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i
      depth++
    } else if (c === 0x7d || c === 0x5d) {
      depth--
      if (depth < 0) return [text]
      if (depth === 0) {
        parts.push(text.slice(start, i + 1))
        start = -1
      }
    } else if (depth === 0 && c !== 0x20 && c !== 0x09 && c !== 0x0d) {
      return [text] // a scalar or garbage between values
    }
  }
  return depth === 0 && !inString ? parts : [text]
}
