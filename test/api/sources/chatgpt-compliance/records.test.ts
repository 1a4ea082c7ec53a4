// The streaming record reader: JSON Lines, concatenated objects, a missing final newline, CRLF,
// and malformed records that come out labelled (for quarantine) instead of stopping the file.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FileRecord, MAX_QUARANTINED_BYTES, readRecords, splitConcatenated } from '../../../../api/sources/chatgpt-compliance/records.js'

let dir: string
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-records-'))
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

let n = 0
async function records(body: string | Buffer): Promise<FileRecord[]> {
  const file = path.join(dir, `f${++n}.jsonl`)
  await fs.writeFile(file, body)
  const out: FileRecord[] = []
  for await (const r of readRecords(file)) out.push(r)
  return out
}

const ev = (id: string, extra = '') => `{"event_id":"${id}","type":"AUDIT_LOG","timestamp":"2026-01-01T00:00:00.000001Z"${extra}}`

/** Each record as [kind, line, reason or event id]. */
const outline = (out: FileRecord[]) => out.map((r) => [r.kind, r.lineNumber, r.kind === 'malformed' ? r.reason : r.eventId])

describe('readRecords', () => {
  it('reads JSON Lines, with or without the final newline, and CRLF', async () => {
    for (const body of [`${ev('a')}\n${ev('b')}\n`, `${ev('a')}\n${ev('b')}`, `${ev('a')}\r\n${ev('b')}\r\n`, `\n${ev('a')}\n\n${ev('b')}\n\n`]) {
      const out = await records(body)
      expect(out.map((r) => r.kind === 'event' && r.eventId)).toEqual(['a', 'b'])
    }
    const out = await records(`${ev('a')}\n${ev('b')}`)
    expect(out[1]).toMatchObject({ kind: 'event', lineNumber: 2, raw: ev('b'), timestamp: '2026-01-01T00:00:00.000001Z', type: 'AUDIT_LOG' })
  })

  it('splits concatenated objects, keeping each raw text', async () => {
    const out = await records(`${ev('a')}${ev('b')} ${ev('c', ',"s":"}{"')}\n${ev('d')}`)
    expect(out.map((r) => r.kind === 'event' && r.eventId)).toEqual(['a', 'b', 'c', 'd'])
    expect(out.map((r) => r.lineNumber)).toEqual([1, 1, 1, 2])
    expect(out[2]!.raw).toBe(ev('c', ',"s":"}{"'))
  })

  it('labels malformed records with line number, raw text and reason, and goes on', async () => {
    const out = await records(`${ev('a')}\n{"event_id":"x",\n[1,2]\n{"no":"id"}\n"str"\n${ev('b')}\n{"event_id":""}\n`)
    expect(outline(out)).toEqual([
      ['event', 1, 'a'],
      ['malformed', 2, 'not valid JSON'],
      ['malformed', 3, 'not a JSON object'],
      ['malformed', 4, 'no event_id'],
      ['malformed', 5, 'not a JSON object'],
      ['event', 6, 'b'],
      ['malformed', 7, 'no event_id'],
    ])
    expect(out[1]).toMatchObject({ raw: '{"event_id":"x",', rawBytes: 16 })
  })

  it('numbers the objects of a line (part), so two malformed ones on one line stay distinct', async () => {
    const out = await records(`${ev('a')}\n${ev('b')}{"no":"id"} {"event_id":""}${ev('c')}\n`)
    expect(out.map((r) => [r.kind, r.lineNumber, r.part, r.kind === 'malformed' ? r.reason : r.eventId])).toEqual([
      ['event', 1, 0, 'a'],
      ['event', 2, 0, 'b'],
      ['malformed', 2, 1, 'no event_id'],
      ['malformed', 2, 2, 'no event_id'],
      ['event', 2, 3, 'c'],
    ])
    expect(out[2]!.raw).toBe('{"no":"id"}')
    expect(out[3]!.raw).toBe('{"event_id":""}')
  })

  it('quarantines an event_id the database cannot hold (NUL, unpaired surrogate); a NUL elsewhere is fine', async () => {
    // The escapes below are JSON text (six ASCII characters each), as the upstream would write them.
    const nulId = String.raw`{"event_id":"a\u0000b"}`
    const surrogateId = String.raw`{"event_id":"a\ud800"}`
    const nulText = ev('ok', String.raw`,"text":"x\u0000y"`)
    const pairId = String.raw`{"event_id":"\ud83d\ude00"}`
    const nulByte = `{"event_id":"raw","text":"x\u0000y"}` // a literal NUL byte: not JSON
    const out = await records([nulId, surrogateId, nulText, pairId, nulByte].join('\n'))
    expect(outline(out)).toEqual([
      ['malformed', 1, 'event_id contains a NUL character'],
      ['malformed', 2, 'event_id is not valid Unicode (unpaired surrogate)'],
      ['event', 3, 'ok'],
      ['event', 4, '\u{1f600}'],
      ['malformed', 5, 'not valid JSON'],
    ])
    expect(out[0]!.raw).toBe(nulId)
    expect(out[2]!.raw).toBe(nulText)
    expect(JSON.parse(out[2]!.raw).text).toBe('x\u0000y')
    expect(out[4]!.raw).toBe(nulByte)
  })

  it('keeps reading across 1 MiB stream chunks and multi-byte characters split between them', async () => {
    const big = 'é'.repeat(700_000) // 1.4 MB of two-byte characters straddles a chunk boundary
    const out = await records(`${ev('a', `,"p":"${big}"`)}\n${ev('b')}\n`)
    expect(out.map((r) => r.kind === 'event' && r.eventId)).toEqual(['a', 'b'])
    expect(JSON.parse(out[0]!.raw).p).toBe(big)
  })

  it('caps what a quarantined record keeps at 1 MiB but reports its full size', async () => {
    const junk = 'x'.repeat(3 * 1024 * 1024)
    const out = await records(`${junk}\n${ev('a')}\n`)
    expect(out[0]).toMatchObject({ kind: 'malformed', rawBytes: junk.length, reason: 'not valid JSON' })
    expect(out[0]!.raw.length).toBe(MAX_QUARANTINED_BYTES)
    expect(out[1]).toMatchObject({ kind: 'event', eventId: 'a' })
  })

  it('property: any sequence of events in any framing yields exactly those events, in order', async () => {
    const event = fc.record({ id: fc.uuid(), text: fc.string({ maxLength: 40 }) }).map(({ id, text }) => JSON.stringify({ event_id: id, text }))
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 30 }), fc.array(fc.constantFrom('\n', '', ' ', '\r\n', '\n\n'), { minLength: 30, maxLength: 30 }), fc.boolean(), async (events, seps, finalNewline) => {
        const body = events.map((e, i) => e + (i < events.length - 1 ? seps[i]! : '')).join('') + (finalNewline ? '\n' : '')
        const out = await records(body)
        expect(out.map((r) => r.raw)).toEqual(events)
        expect(out.every((r) => r.kind === 'event')).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})

describe('splitConcatenated', () => {
  it('returns the whole text when it is not a sequence of complete values', () => {
    expect(splitConcatenated('{"a":1} x {"b":2}')).toEqual(['{"a":1} x {"b":2}'])
    expect(splitConcatenated('{"a":1}{"b":')).toEqual(['{"a":1}{"b":'])
    expect(splitConcatenated('{"a":"\\"}{"}{"b":2}')).toEqual(['{"a":"\\"}{"}', '{"b":2}'])
  })
})
