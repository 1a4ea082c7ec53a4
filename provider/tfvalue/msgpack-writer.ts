// A minimal MessagePack writer: just the formats Terraform's values need. Always picks the most compact
// encoding, as the protocol recommends.

const textEncoder = new TextEncoder()

export class MsgpackWriter {
  private buffer = new Uint8Array(256)
  private view = new DataView(this.buffer.buffer)
  private length = 0

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }

  nil(): void {
    this.byte(0xc0)
  }

  bool(value: boolean): void {
    this.byte(value ? 0xc3 : 0xc2)
  }

  /** Integers within ±2^53 go out as msgpack ints, everything else as float64. */
  number(value: number): void {
    if (Number.isInteger(value) && Number.isSafeInteger(value) && !Object.is(value, -0)) this.integer(value)
    else this.float64(value)
  }

  private integer(value: number): void {
    if (value >= 0) {
      if (value < 0x80) this.byte(value)
      else if (value <= 0xff) this.byte(0xcc, value)
      else if (value <= 0xffff) {
        this.byte(0xcd)
        this.ensure(2)
        this.view.setUint16(this.length, value)
        this.length += 2
      } else if (value <= 0xffffffff) {
        this.byte(0xce)
        this.ensure(4)
        this.view.setUint32(this.length, value)
        this.length += 4
      } else {
        this.byte(0xcf)
        this.ensure(8)
        this.view.setBigUint64(this.length, BigInt(value))
        this.length += 8
      }
    } else if (value >= -32) this.byte(value & 0xff)
    else if (value >= -0x80) this.byte(0xd0, value & 0xff)
    else if (value >= -0x8000) {
      this.byte(0xd1)
      this.ensure(2)
      this.view.setInt16(this.length, value)
      this.length += 2
    } else if (value >= -0x80000000) {
      this.byte(0xd2)
      this.ensure(4)
      this.view.setInt32(this.length, value)
      this.length += 4
    } else {
      this.byte(0xd3)
      this.ensure(8)
      this.view.setBigInt64(this.length, BigInt(value))
      this.length += 8
    }
  }

  float64(value: number): void {
    this.byte(0xcb)
    this.ensure(8)
    this.view.setFloat64(this.length, value)
    this.length += 8
  }

  string(value: string): void {
    // Most strings Terraform sends are short ASCII (names, ids, enum values): copying the char codes
    // beats TextEncoder, whose call into C++ dominated string encoding in profiles.
    const length = value.length
    if (length < 32) {
      this.ensure(1 + length)
      const start = this.length + 1
      let i = 0
      for (; i < length; i++) {
        const code = value.charCodeAt(i)
        if (code >= 0x80) break
        this.buffer[start + i] = code
      }
      if (i === length) {
        this.buffer[this.length] = 0xa0 | length
        this.length = start + length
        return
      }
    }
    const bytes = textEncoder.encode(value)
    const n = bytes.length
    if (n < 32) this.byte(0xa0 | n)
    else if (n <= 0xff) this.byte(0xd9, n)
    else if (n <= 0xffff) this.header16(0xda, n)
    else this.header32(0xdb, n)
    this.raw(bytes)
  }

  binary(bytes: Uint8Array): void {
    const n = bytes.length
    if (n <= 0xff) this.byte(0xc4, n)
    else if (n <= 0xffff) this.header16(0xc5, n)
    else this.header32(0xc6, n)
    this.raw(bytes)
  }

  arrayHeader(n: number): void {
    if (n < 16) this.byte(0x90 | n)
    else if (n <= 0xffff) this.header16(0xdc, n)
    else this.header32(0xdd, n)
  }

  mapHeader(n: number): void {
    if (n < 16) this.byte(0x80 | n)
    else if (n <= 0xffff) this.header16(0xde, n)
    else this.header32(0xdf, n)
  }

  extension(type: number, data: Uint8Array): void {
    const n = data.length
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }
    const fixedCode = fixed[n]
    if (fixedCode !== undefined) this.byte(fixedCode)
    else if (n <= 0xff) this.byte(0xc7, n)
    else if (n <= 0xffff) this.header16(0xc8, n)
    else this.header32(0xc9, n)
    this.byte(type & 0xff)
    this.raw(data)
  }

  private header16(code: number, n: number): void {
    this.byte(code)
    this.ensure(2)
    this.view.setUint16(this.length, n)
    this.length += 2
  }

  private header32(code: number, n: number): void {
    this.byte(code)
    this.ensure(4)
    this.view.setUint32(this.length, n)
    this.length += 4
  }

  private byte(...values: number[]): void {
    this.ensure(values.length)
    for (const value of values) this.buffer[this.length++] = value
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < this.length + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buffer.subarray(0, this.length))
    this.buffer = next
    this.view = new DataView(next.buffer)
  }
}
