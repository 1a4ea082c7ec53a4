// Just enough ASN.1 DER writing for one self-signed certificate (X.690). Each function returns the
// complete TLV bytes.

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content])
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length])
  const bytes: number[] = []
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
export const octetString = (content: Buffer): Buffer => tlv(0x04, content)
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))
export const booleanTrue = (): Buffer => Buffer.from([0x01, 0x01, 0xff])
/** Context-specific constructed tag [n] EXPLICIT. */
export const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content)
/** Context-specific primitive tag [n] IMPLICIT (e.g. dNSName [2] in subjectAltName). */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content)

/** A BIT STRING whose content is whole bytes plus a count of unused trailing bits in the last byte. */
export function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]))
}

/**
 * A non-negative INTEGER from big-endian bytes, minimally encoded: leading zero bytes are dropped, and one
 * zero byte is added back only when the top bit would otherwise make the number negative. OpenSSL rejects
 * anything else ("illegal padding"), which made about one launch in 158 fail (docs/terraform-provider.md).
 */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  let content = bytes.subarray(start)
  if (content.length === 0) content = Buffer.from([0])
  if ((content[0] as number) & 0x80) content = Buffer.concat([Buffer.from([0]), content])
  return tlv(0x02, content)
}

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const [first = 0, second = 0, ...rest] = arcs
  const bytes: number[] = [first * 40 + second]
  for (const arc of rest) {
    const chunk: number[] = []
    let n = arc
    do {
      chunk.unshift(n & 0x7f)
      n = Math.floor(n / 128)
    } while (n > 0)
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] as number) | 0x80
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime for 1950–2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString() // 2025-01-02T03:04:05.678Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') // 20250102030405
  const year = date.getUTCFullYear()
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`))
}
