// Property tests of the schema-driven msgpack codec, with @msgpack/msgpack as an independent oracle for
// the bytes (Terraform uses go-cty; both follow the msgpack spec and Terraform's wire format, see
// docs/terraform-provider.md).

import { decode as oracleDecode, encode as oracleEncode, ExtData } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError, decodeMsgpack, encodeMsgpack } from '../../../provider/tfvalue/msgpack-codec.js'
import { decodeJson, encodeJson } from '../../../provider/tfvalue/json-codec.js'
import { valuesEqual } from '../../../provider/tfvalue/equal.js'
import type { CtyType } from '../../../provider/tfvalue/types.js'
import { record, Unknown, type TfValue } from '../../../provider/tfvalue/value.js'
import { ctyType, plain, valueOf } from '../helpers/tf-arbitraries.js'

const typedValue = ctyType.chain((type) => valueOf(type).map((value) => ({ type, value })))
const knownTypedValue = ctyType.chain((type) => valueOf(type, { unknowns: false }).map((value) => ({ type, value })))

/** What the oracle should see for a value: records as objects with every object attribute, unknowns as
 * extension data of type 0 or 12. */
function oracleView(type: CtyType, value: TfValue): unknown {
  if (value === null) return null
  if (value instanceof Unknown) return { ext: value.isRefined ? 12 : 0 }
  if (typeof type === 'string') return value
  const [kind, argument] = type
  const v = value as never as TfValue[] & Record<string, TfValue>
  switch (kind) {
    case 'list':
    case 'set':
      return (v as TfValue[]).map((e) => oracleView(argument, e))
    case 'tuple':
      return (v as TfValue[]).map((e, i) => oracleView(argument[i] as CtyType, e))
    case 'map':
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, oracleView(argument, v[k] as TfValue)]))
    case 'object':
      return Object.fromEntries(Object.keys(argument).sort().map((k) => [k, oracleView(argument[k] as CtyType, v[k] ?? null)]))
  }
}

function fromOracle(value: unknown): unknown {
  if (value instanceof ExtData) return { ext: value.type }
  if (Array.isArray(value)) return value.map(fromOracle)
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, fromOracle((value as Record<string, unknown>)[k])]))
  return value
}

const hasProtoKey = (v: unknown): boolean => JSON.stringify(plain(v as TfValue)).includes('"__proto__"')

/** -0 anywhere in a value. JSON.stringify writes -0 as "0", so a text search cannot find it. */
const hasNegativeZero = (v: unknown): boolean =>
  Object.is(v, -0) || (v !== null && typeof v === 'object' && Object.values(v as Record<string, unknown>).some(hasNegativeZero))

describe('msgpack codec', () => {
  it('round-trips every value of every type, nulls and unknowns included', () => {
    fc.assert(
      fc.property(typedValue, ({ type, value }) => {
        const decoded = decodeMsgpack(type, encodeMsgpack(type, value))
        expect(plain(decoded)).toEqual(plain(value))
        expect(valuesEqual(type, decoded, value)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('writes bytes an independent msgpack decoder reads as the same structure', () => {
    fc.assert(
      fc.property(typedValue, ({ type, value }) => {
        const bytes = encodeMsgpack(type, value)
        // @msgpack/msgpack refuses "__proto__" keys; our codec must carry them, so skip the oracle there.
        fc.pre(!hasProtoKey(value))
        expect(fromOracle(oracleDecode(bytes))).toEqual(oracleView(type, value))
      }),
      { numRuns: 2000 },
    )
  })

  it('reads what an independent msgpack encoder writes, whatever integer or string width it picks', () => {
    fc.assert(
      fc.property(knownTypedValue, ({ type, value }) => {
        fc.pre(!hasProtoKey(value))
        const bytes = oracleEncode(JSON.parse(JSON.stringify(oracleView(type, value), (_k, v: unknown) => (v === Infinity || v === -Infinity ? String(v) : v))) as unknown, { forceIntegerToFloat: false })
        // The oracle's input goes through JSON (which turns -0 into 0), and an encoder that picks integer
        // widths writes -0 as the integer 0: values holding -0 cannot come back unchanged this way.
        fc.pre(!JSON.stringify(oracleView(type, value)).includes('Infinity') && !hasNegativeZero(plain(value)))
        expect(plain(decodeMsgpack(type, bytes))).toEqual(plain(value))
      }),
      { numRuns: 1000 },
    )
  })

  it('always writes every object attribute, nulls for the missing ones (Terraform rejects fewer)', () => {
    const type: CtyType = ['object', { a: 'string', b: 'number', c: ['list', 'bool'] }]
    const decoded = oracleDecode(encodeMsgpack(type, record({ a: 'x' })))
    expect(decoded).toEqual({ a: 'x', b: null, c: null })
  })

  it('encodes a plain unknown as d4 00 00 (fixext1, type 0)', () => {
    expect([...encodeMsgpack('string', new Unknown())]).toEqual([0xd4, 0x00, 0x00])
  })

  it('reads any extension type as unknown, and refinements from type 12', () => {
    fc.assert(
      fc.property(fc.integer({ min: -128, max: 127 }), fc.uint8Array({ maxLength: 20 }), (extType, data) => {
        fc.pre(extType !== 12)
        const bytes = oracleEncode(new ExtData(extType, data))
        expect(decodeMsgpack('string', bytes)).toBeInstanceOf(Unknown)
      }),
    )
    // Written by hand with integer keys, as go-cty writes them: {1: false, 2: "sk-", 3: [1, true], 5: 2,
    // 99: "future"}; 99 stands for a refinement kind from the future, which must be skipped.
    const refinementMap = Buffer.from('85' + '01c2' + '02a3736b2d' + '039201c3' + '0502' + '63a6667574757265', 'hex')
    const refined = oracleEncode(new ExtData(12, refinementMap))
    const unknown = decodeMsgpack('string', refined) as Unknown
    expect(unknown.refinements).toEqual({ nullness: false, stringPrefix: 'sk-', numberLower: { value: 1, inclusive: true }, lengthLower: 2 })
  })

  it('reads numbers sent as decimal strings (cty does this beyond float64 precision)', () => {
    expect(decodeMsgpack('number', oracleEncode('12345678901234567890'))).toBe(12345678901234567890)
    expect(() => decodeMsgpack('number', oracleEncode('twelve'))).toThrow(CodecError)
  })

  it('reads dynamic values as [type JSON, value] pairs', () => {
    const bytes = oracleEncode([new TextEncoder().encode('["list","string"]'), ['a', 'b']])
    const value = decodeMsgpack('dynamic', bytes) as { type: CtyType; value: TfValue }
    expect(value.type).toEqual(['list', 'string'])
    expect(value.value).toEqual(['a', 'b'])
    expect(decodeMsgpack('dynamic', encodeMsgpack('dynamic', value))).toEqual(value)
  })

  it('fails with a path on type mismatches instead of producing wrong bytes', () => {
    const type: CtyType = ['object', { config: 'string' }]
    expect(() => encodeMsgpack(type, record({ config: 3 }))).toThrow(/config: expected string/)
    expect(() => decodeMsgpack(type, oracleEncode({ config: 3 }))).toThrow(/config: expected string/)
    expect(() => decodeMsgpack(type, oracleEncode({ extra: 'x' }))).toThrow(/unsupported attribute "extra"/)
  })

  it('never crashes on arbitrary bytes: a value or a decoding error', () => {
    fc.assert(
      fc.property(ctyType, fc.uint8Array({ maxLength: 64 }), (type, bytes) => {
        try {
          decodeMsgpack(type, bytes)
        } catch (error) {
          expect(error instanceof CodecError || error instanceof RangeError || error instanceof TypeError || error instanceof SyntaxError).toBe(true)
        }
      }),
      { numRuns: 3000 },
    )
  })
})

describe('JSON codec (RawState)', () => {
  it('round-trips known finite values', () => {
    fc.assert(
      fc.property(knownTypedValue, ({ type, value }) => {
        const text = JSON.stringify(encodeJson(type, value))
        fc.pre(!JSON.stringify(plain(value)).match(/Infinity|-0\b/))
        fc.pre(!containsNonFinite(value))
        expect(plain(decodeJson(type, JSON.parse(text)))).toEqual(plain(value))
      }),
      { numRuns: 1000 },
    )
  })

  it('drops attributes an older schema had, when asked to', () => {
    const type: CtyType = ['object', { a: 'string' }]
    expect(() => decodeJson(type, { a: 'x', gone: 1 })).toThrow(/gone/)
    expect(plain(decodeJson(type, { a: 'x', gone: 1 }, { dropUnknownAttributes: true }))).toEqual({ a: 'x' })
  })
})

function containsNonFinite(value: TfValue): boolean {
  if (typeof value === 'number') return !Number.isFinite(value) || Object.is(value, -0)
  if (Array.isArray(value)) return value.some(containsNonFinite)
  if (value && typeof value === 'object' && !(value instanceof Unknown)) return Object.values(value).some((v) => containsNonFinite(v as TfValue))
  return false
}
