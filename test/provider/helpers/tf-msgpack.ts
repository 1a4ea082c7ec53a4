// Terraform-side msgpack for tests, on @msgpack/msgpack: an implementation independent of the provider's
// own codec, the way Terraform's go-cty is. Unknowns are extension 0 (plain) or 12 (refined).

import { decode, encode, ExtensionCodec, ExtData } from '@msgpack/msgpack'

export class TfUnknown {
  constructor(readonly extensionType = 0) {}
}
export const UNKNOWN = new TfUnknown()

const codec = new ExtensionCodec()
codec.register({
  type: 0,
  encode: (value: unknown) => (value instanceof TfUnknown && value.extensionType === 0 ? Uint8Array.of(0) : null),
  decode: () => new TfUnknown(0),
})
codec.register({
  type: 12,
  encode: (value: unknown) => (value instanceof TfUnknown && value.extensionType === 12 ? encode({ 1: false }) : null),
  decode: () => new TfUnknown(12),
})

export function tfEncode(value: unknown): Uint8Array {
  return encode(value, { extensionCodec: codec })
}

export function tfDecode(bytes: Uint8Array | undefined): unknown {
  if (!bytes || bytes.length === 0) return undefined
  const value = decode(bytes, { extensionCodec: codec })
  return convertExtData(value)
}

/** Any other extension type must also read as unknown (docs/terraform-provider.md, Values). */
function convertExtData(value: unknown): unknown {
  if (value instanceof ExtData) return new TfUnknown(value.type)
  if (Array.isArray(value)) return value.map(convertExtData)
  if (value && typeof value === 'object' && !(value instanceof TfUnknown) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertExtData(v)]))
  }
  return value
}

/** A DynamicValue message carrying `value` as msgpack. */
export function dynamic(value: unknown): { msgpack: Uint8Array } {
  return { msgpack: tfEncode(value) }
}

/** Every attribute present (null when not given), as Terraform sends objects. */
export function fullObject(attributes: readonly string[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of attributes) out[name] = name in values ? values[name] : null
  for (const name of Object.keys(values)) if (!attributes.includes(name)) throw new Error(`test bug: no attribute ${name}`)
  return out
}
