// Schema-driven msgpack codec for DynamicValue.msgpack (docs/terraform-provider.md, Values).
//
// Encoding is driven by the type, never by the JS value: an object always carries every attribute of its
// type (nulls included) because Terraform rejects "an object with 3 attributes is required (2 given)"
// without naming the resource. Decoding checks each item against the expected type and treats *any*
// extension type as unknown, reading refinements only from extension 12.

import { MsgpackReader, type MsgpackItem } from './msgpack-reader.js'
import { MsgpackWriter } from './msgpack-writer.js'
import { parseType, typeToJson, type CtyType } from './types.js'
import { record, TypedValue, Unknown, isRecord, type Refinements, type TfValue } from './value.js'

const UNKNOWN_EXTENSION = 0
const REFINED_UNKNOWN_EXTENSION = 12
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

export class CodecError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(path ? `${path}: ${message}` : message)
    this.name = 'CodecError'
  }
}

export function encodeMsgpack(type: CtyType, value: TfValue): Uint8Array {
  const writer = new MsgpackWriter()
  writeValue(writer, type, value, '')
  return writer.finish()
}

export function decodeMsgpack(type: CtyType, bytes: Uint8Array): TfValue {
  const reader = new MsgpackReader(bytes)
  const value = readValue(reader, type, reader.next(), '')
  if (!reader.done) throw new CodecError('trailing bytes after the value', '')
  return value
}

function writeValue(w: MsgpackWriter, type: CtyType, value: TfValue, path: string): void {
  if (value === null) return w.nil()
  if (value instanceof Unknown) return writeUnknown(w, value)
  if (type === 'dynamic') {
    if (!(value instanceof TypedValue)) throw new CodecError('a dynamic value needs its type (TypedValue)', path)
    w.arrayHeader(2)
    w.binary(textEncoder.encode(typeToJson(value.type)))
    return writeValue(w, value.type, value.value, path)
  }
  if (type === 'string') {
    if (typeof value !== 'string') throw mismatch('string', value, path)
    return w.string(value)
  }
  if (type === 'number') {
    if (typeof value !== 'number') throw mismatch('number', value, path)
    if (Number.isNaN(value)) throw new CodecError('NaN is not a Terraform number', path)
    return w.number(value)
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw mismatch('bool', value, path)
    return w.bool(value)
  }
  const [kind, argument] = type
  switch (kind) {
    case 'list':
    case 'set': {
      if (!Array.isArray(value)) throw mismatch(kind, value, path)
      w.arrayHeader(value.length)
      value.forEach((element, i) => writeValue(w, argument, element, `${path}[${i}]`))
      return
    }
    case 'tuple': {
      if (!Array.isArray(value) || value.length !== argument.length) throw mismatch(`tuple of ${argument.length}`, value, path)
      w.arrayHeader(value.length)
      value.forEach((element, i) => writeValue(w, argument[i] as CtyType, element, `${path}[${i}]`))
      return
    }
    case 'map': {
      if (!isRecord(value)) throw mismatch('map', value, path)
      const keys = Object.keys(value).sort()
      w.mapHeader(keys.length)
      for (const key of keys) {
        w.string(key)
        writeValue(w, argument, value[key] as TfValue, `${path}[${JSON.stringify(key)}]`)
      }
      return
    }
    case 'object': {
      if (!isRecord(value)) throw mismatch('object', value, path)
      for (const key of Object.keys(value)) {
        if (!(key in argument)) throw new CodecError(`unsupported attribute ${JSON.stringify(key)}`, path)
      }
      const names = Object.keys(argument).sort()
      w.mapHeader(names.length)
      for (const name of names) {
        w.string(name)
        writeValue(w, argument[name] as CtyType, value[name] ?? null, path ? `${path}.${name}` : name)
      }
      return
    }
  }
}

function writeUnknown(w: MsgpackWriter, unknown: Unknown): void {
  const r = unknown.refinements
  if (!unknown.isRefined) return w.extension(UNKNOWN_EXTENSION, Uint8Array.of(0))
  const inner = new MsgpackWriter()
  const entries: Array<[number, () => void]> = []
  if (r.nullness !== undefined) entries.push([1, () => inner.bool(r.nullness as boolean)])
  if (r.stringPrefix !== undefined) entries.push([2, () => inner.string(r.stringPrefix as string)])
  for (const [key, bound] of [[3, r.numberLower], [4, r.numberUpper]] as const) {
    if (bound) entries.push([key, () => (inner.arrayHeader(2), inner.number(bound.value), inner.bool(bound.inclusive))])
  }
  if (r.lengthLower !== undefined) entries.push([5, () => inner.number(r.lengthLower as number)])
  if (r.lengthUpper !== undefined) entries.push([6, () => inner.number(r.lengthUpper as number)])
  inner.mapHeader(entries.length)
  for (const [key, write] of entries) {
    inner.number(key)
    write()
  }
  w.extension(REFINED_UNKNOWN_EXTENSION, inner.finish())
}

function readValue(r: MsgpackReader, type: CtyType, item: MsgpackItem, path: string): TfValue {
  if (item.kind === 'nil') return null
  if (item.kind === 'extension') return readUnknown(item.type, item.data, path)
  if (type === 'dynamic') {
    if (item.kind !== 'array' || item.length !== 2) throw unexpected('dynamic [type, value] pair', item, path)
    const typeItem = r.next()
    if (typeItem.kind !== 'binary' && typeItem.kind !== 'string') throw unexpected('type JSON', typeItem, path)
    const json = typeItem.kind === 'binary' ? textDecoder.decode(typeItem.value) : typeItem.value
    const actualType = parseType(JSON.parse(json))
    return new TypedValue(actualType, readValue(r, actualType, r.next(), path))
  }
  if (type === 'string') {
    if (item.kind !== 'string') throw unexpected('string', item, path)
    return item.value
  }
  if (type === 'number') return readNumber(item, path)
  if (type === 'bool') {
    if (item.kind !== 'bool') throw unexpected('bool', item, path)
    return item.value
  }
  const [kind, argument] = type
  switch (kind) {
    case 'list':
    case 'set': {
      if (item.kind !== 'array') throw unexpected(kind, item, path)
      const elements: TfValue[] = []
      for (let i = 0; i < item.length; i++) elements.push(readValue(r, argument, r.next(), `${path}[${i}]`))
      return elements
    }
    case 'tuple': {
      if (item.kind !== 'array' || item.length !== argument.length) throw unexpected(`tuple of ${argument.length}`, item, path)
      return argument.map((elementType, i) => readValue(r, elementType, r.next(), `${path}[${i}]`))
    }
    case 'map': {
      if (item.kind !== 'map') throw unexpected('map', item, path)
      const result = record()
      for (let i = 0; i < item.length; i++) {
        const key = readKey(r, path)
        result[key] = readValue(r, argument, r.next(), `${path}[${JSON.stringify(key)}]`)
      }
      return result
    }
    case 'object': {
      if (item.kind !== 'map') throw unexpected('object', item, path)
      const result = record()
      for (let i = 0; i < item.length; i++) {
        const name = readKey(r, path)
        const attributeType = Object.hasOwn(argument, name) ? argument[name] : undefined
        if (attributeType === undefined) throw new CodecError(`unsupported attribute ${JSON.stringify(name)}`, path)
        result[name] = readValue(r, attributeType, r.next(), path ? `${path}.${name}` : name)
      }
      // Terraform always sends every attribute; tolerate omissions as null anyway.
      for (const name of Object.keys(argument)) if (!(name in result)) result[name] = null
      return result
    }
  }
}

function readKey(r: MsgpackReader, path: string): string {
  const key = r.next()
  if (key.kind !== 'string') throw unexpected('string key', key, path)
  return key.value
}

function readNumber(item: MsgpackItem, path: string): number {
  switch (item.kind) {
    case 'int':
      return Number(item.value)
    case 'float':
      return item.value
    case 'string': {
      // cty sends numbers that don't fit a float64 exactly as decimal strings.
      const value = Number(item.value)
      if (item.value.trim() === '' || Number.isNaN(value)) throw new CodecError(`invalid number ${JSON.stringify(item.value)}`, path)
      return value
    }
    default:
      throw unexpected('number', item, path)
  }
}

function readUnknown(type: number, data: Uint8Array, path: string): Unknown {
  if (type !== REFINED_UNKNOWN_EXTENSION) return new Unknown()
  const r = new MsgpackReader(data)
  const head = r.next()
  if (head.kind !== 'map') throw unexpected('refinement map', head, path)
  const refinements: Refinements = {}
  for (let i = 0; i < head.length; i++) {
    const key = r.next()
    // go-cty writes integer keys; accept digit strings too, nothing is lost by being lenient here.
    const keyNumber = key.kind === 'int' ? Number(key.value) : key.kind === 'string' && /^\d+$/.test(key.value) ? Number(key.value) : -1
    switch (keyNumber) {
      case 1: {
        const v = r.next()
        if (v.kind === 'bool') refinements.nullness = v.value
        break
      }
      case 2: {
        const v = r.next()
        if (v.kind === 'string') refinements.stringPrefix = v.value
        break
      }
      case 3:
      case 4: {
        const pair = r.next()
        if (pair.kind !== 'array' || pair.length !== 2) throw unexpected('[number, inclusive] bound', pair, path)
        const bound = { value: readNumber(r.next(), path), inclusive: false }
        const inclusive = r.next()
        bound.inclusive = inclusive.kind === 'bool' && inclusive.value
        if (keyNumber === 3) refinements.numberLower = bound
        else refinements.numberUpper = bound
        break
      }
      case 5:
      case 6: {
        const v = r.next()
        if (v.kind === 'int') {
          if (keyNumber === 5) refinements.lengthLower = Number(v.value)
          else refinements.lengthUpper = Number(v.value)
        }
        break
      }
      default:
        // Refinement kinds added to the protocol later are skipped, as the wire format asks.
        r.skip()
    }
  }
  return new Unknown(refinements)
}

function mismatch(expected: string, value: TfValue, path: string): CodecError {
  const actual = Array.isArray(value) ? 'array' : value instanceof TypedValue ? 'typed value' : typeof value
  return new CodecError(`expected ${expected}, got ${actual}`, path)
}

function unexpected(expected: string, item: MsgpackItem, path: string): CodecError {
  return new CodecError(`expected ${expected}, found msgpack ${item.kind}`, path)
}
