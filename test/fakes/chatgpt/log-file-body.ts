// The bytes of one log file, described rather than stored when they are generated.
//
// A generated body is re-created from (type, count, seed) every time it is read: once at registration to
// learn file_size and file_sha256, then once per download. Nothing larger than one chunk is ever held, which
// is what lets the fake serve a 1 GiB file from a process of a few dozen MiB.

import { createHash } from 'node:crypto'
import type { ComplianceEventType } from './event-types.js'
import { generatedEventId, paddingBytes, serializeEventParts } from './event-generator.js'
import { recordFacts, splitJsonRecords } from './json-records.js'
import { deriveSeed } from './seeded-random.js'
import type { EpochMicros } from './timestamps.js'

export type LogFileFormat = 'jsonl' | 'concatenated'

/** Events produced on demand: event i is `generateEvent(type, deriveSeed(seed, i), …)`. */
export interface GeneratedRecords {
  kind: 'generated'
  type: ComplianceEventType
  count: number
  seed: number
  workspaceId: string
  bytesPerEvent?: number
  /** Timestamp of event 0; event i is at first + i * step. */
  firstMicros: EpochMicros
  stepMicros: EpochMicros
}

export interface MaterialisedRecords {
  kind: 'records'
  records: string[]
}

export type LogFileBody =
  | {
      kind: 'formatted'
      /** Records written before the main ones (injected repeats, late events, malformed lines). */
      prefix: string[]
      main: MaterialisedRecords | GeneratedRecords
      format: LogFileFormat
      finalNewline: boolean
    }
  | { kind: 'raw'; bytes: Buffer }

// Separators between records in the "concatenated" format. Cycling covers `}{`, `} {` and a plain newline
// in one body, which is what a client that claims to handle concatenated JSON must survive.
const CONCATENATED_SEPARATORS = ['', ' ', '\n'] as const
const CHUNK_BYTES = 64 * 1024

/** The body as a sequence of Buffers of about 64 KiB each (padding of inflated events passes as is). */
export function* bodyChunks(body: LogFileBody): Generator<Buffer> {
  if (body.kind === 'raw') {
    for (let offset = 0; offset < body.bytes.length; offset += CHUNK_BYTES) yield body.bytes.subarray(offset, offset + CHUNK_BYTES)
    return
  }
  let pending = ''
  for (const piece of bodyPieces(body)) {
    if (typeof piece === 'string') {
      pending += piece
      // String length is a lower bound of the UTF-8 size; good enough to keep chunks near CHUNK_BYTES.
      if (pending.length >= CHUNK_BYTES) {
        yield Buffer.from(pending, 'utf8')
        pending = ''
      }
    } else {
      if (pending.length > 0) yield Buffer.from(pending, 'utf8')
      pending = ''
      yield piece
    }
  }
  if (pending.length > 0) yield Buffer.from(pending, 'utf8')
}

/** Separators, records and (for inflated generated events) padding Buffers, in body order. */
function* bodyPieces(body: Extract<LogFileBody, { kind: 'formatted' }>): Generator<string | Buffer> {
  let index = 0
  const separator = (): string => {
    const sep = index === 0 ? '' : body.format === 'jsonl' ? '\n' : (CONCATENATED_SEPARATORS[(index - 1) % CONCATENATED_SEPARATORS.length] as string)
    index++
    return sep
  }
  for (const record of body.prefix) yield separator() + record
  const main = body.main
  if (main.kind === 'records') {
    for (const record of main.records) yield separator() + record
  } else {
    for (let i = 0; i < main.count; i++) {
      const parts = serializeEventParts(main.type, deriveSeed(main.seed, i), generatedEventOptions(main, i))
      yield separator() + parts.head
      if (parts.paddingLength > 0) yield paddingBytes(parts.paddingLength)
      if (parts.tail !== '') yield parts.tail
    }
  }
  if (index > 0 && body.finalNewline) yield '\n'
}

export function digestBody(body: LogFileBody): { size: number; sha256: string } {
  const hash = createHash('sha256')
  let size = 0
  for (const chunk of bodyChunks(body)) {
    hash.update(chunk)
    size += chunk.length
  }
  return { size, sha256: hash.digest('hex') }
}

/** Every record of the body in order, as JSON text (raw bodies are split like a tolerant client would). */
export function* allRecords(body: LogFileBody): Generator<string> {
  if (body.kind === 'raw') {
    yield* splitJsonRecords(body.bytes.toString('utf8'))
    return
  }
  yield* body.prefix
  if (body.main.kind === 'records') {
    yield* body.main.records
    return
  }
  for (let i = 0; i < body.main.count; i++) yield generatedRecord(body.main, i)
}

/** event_ids in body order (repeats included), without serialising generated events. */
export function* bodyEventIds(body: LogFileBody): Generator<string> {
  if (body.kind === 'formatted' && body.main.kind === 'generated') {
    for (const record of body.prefix) {
      const id = recordFacts(record).eventId
      if (id !== undefined) yield id
    }
    yield* generatedFileEventIds({ seed: body.main.seed, count: body.main.count })
    return
  }
  for (const record of allRecords(body)) {
    const id = recordFacts(record).eventId
    if (id !== undefined) yield id
  }
}

/**
 * The event_ids of a generated file, from its seed and count alone (`LogFileInfo` does not carry the seed
 * when the fake chose it: use `FakeCompliance.fileEventIds` then).
 */
export function* generatedFileEventIds(spec: { seed: number; count: number }): Generator<string> {
  for (let i = 0; i < spec.count; i++) yield generatedEventId(deriveSeed(spec.seed, i))
}

/** The record text of generated event `index` (used to re-publish an event byte for byte). */
export function generatedRecord(g: GeneratedRecords, index: number): string {
  const parts = serializeEventParts(g.type, deriveSeed(g.seed, index), generatedEventOptions(g, index))
  return parts.head + paddingBytes(parts.paddingLength).toString('latin1') + parts.tail
}

export function generatedTimestamp(g: GeneratedRecords, index: number): EpochMicros {
  return g.firstMicros + BigInt(index) * g.stepMicros
}

function generatedEventOptions(g: GeneratedRecords, index: number) {
  return {
    timestamp: generatedTimestamp(g, index),
    workspaceId: g.workspaceId,
    ...(g.bytesPerEvent !== undefined ? { bytesPerEvent: g.bytesPerEvent } : {}),
  }
}
