// Schema-driven JSON codec. Terraform uses JSON for RawState.json (the stored state handed to
// UpgradeResourceState); everything else travels as msgpack.

import { typeToJson, parseType, type CtyType } from './types.js'
import { CodecError } from './msgpack-codec.js'
import { record, TypedValue, Unknown, isRecord, type TfValue } from './value.js'

export interface JsonDecodeOptions {
  /** Drop object attributes the type doesn't know, e.g. state written by an older schema. */
  dropUnknownAttributes?: boolean
}

export function decodeJson(type: CtyType, json: unknown, options: JsonDecodeOptions = {}, path = ''): TfValue {
  if (json === null || json === undefined) return null
  if (type === 'dynamic') {
    if (!isPlainObject(json) || !('type' in json)) throw new CodecError('dynamic value needs {"type","value"}', path)
    const actualType = parseType(json.type)
    return new TypedValue(actualType, decodeJson(actualType, json.value, options, path))
  }
  if (type === 'string') {
    if (typeof json !== 'string') throw new CodecError(`expected string, got ${typeof json}`, path)
    return json
  }
  if (type === 'number') {
    if (typeof json === 'number') return json
    // Large numbers may be stored as strings by tools that keep precision.
    if (typeof json === 'string' && json.trim() !== '' && !Number.isNaN(Number(json))) return Number(json)
    throw new CodecError(`expected number, got ${typeof json}`, path)
  }
  if (type === 'bool') {
    if (typeof json !== 'boolean') throw new CodecError(`expected bool, got ${typeof json}`, path)
    return json
  }
  const [kind, argument] = type
  switch (kind) {
    case 'list':
    case 'set':
      if (!Array.isArray(json)) throw new CodecError(`expected ${kind}`, path)
      return json.map((element, i) => decodeJson(argument, element, options, `${path}[${i}]`))
    case 'tuple':
      if (!Array.isArray(json) || json.length !== argument.length) throw new CodecError(`expected tuple of ${argument.length}`, path)
      return argument.map((elementType, i) => decodeJson(elementType, json[i], options, `${path}[${i}]`))
    case 'map': {
      if (!isPlainObject(json)) throw new CodecError('expected map', path)
      const result = record()
      for (const [key, element] of Object.entries(json)) result[key] = decodeJson(argument, element, options, `${path}[${JSON.stringify(key)}]`)
      return result
    }
    case 'object': {
      if (!isPlainObject(json)) throw new CodecError('expected object', path)
      const result = record()
      for (const [name, element] of Object.entries(json)) {
        const attributeType = Object.hasOwn(argument, name) ? argument[name] : undefined
        if (attributeType === undefined) {
          if (options.dropUnknownAttributes) continue
          throw new CodecError(`unsupported attribute ${JSON.stringify(name)}`, path)
        }
        result[name] = decodeJson(attributeType, element, options, path ? `${path}.${name}` : name)
      }
      for (const name of Object.keys(argument)) if (!(name in result)) result[name] = null
      return result
    }
  }
}

export function encodeJson(type: CtyType, value: TfValue, path = ''): unknown {
  if (value === null) return null
  if (value instanceof Unknown) throw new CodecError('unknown values cannot be encoded as JSON', path)
  if (type === 'dynamic') {
    if (!(value instanceof TypedValue)) throw new CodecError('a dynamic value needs its type (TypedValue)', path)
    return { value: encodeJson(value.type, value.value, path), type: JSON.parse(typeToJson(value.type)) }
  }
  if (typeof type === 'string') return value
  const [kind, argument] = type
  switch (kind) {
    case 'list':
    case 'set':
      return (value as TfValue[]).map((element, i) => encodeJson(argument, element, `${path}[${i}]`))
    case 'tuple':
      return (value as TfValue[]).map((element, i) => encodeJson(argument[i] as CtyType, element, `${path}[${i}]`))
    case 'map': {
      const out: Record<string, unknown> = Object.create(null)
      for (const [key, element] of Object.entries(value as Record<string, TfValue>)) out[key] = encodeJson(argument, element, `${path}[${JSON.stringify(key)}]`)
      return out
    }
    case 'object': {
      const out: Record<string, unknown> = Object.create(null)
      const source = isRecord(value) ? value : record()
      for (const name of Object.keys(argument)) out[name] = encodeJson(argument[name] as CtyType, source[name] ?? null, path ? `${path}.${name}` : name)
      return out
    }
  }
}

function isPlainObject(json: unknown): json is Record<string, unknown> {
  return typeof json === 'object' && json !== null && !Array.isArray(json)
}
