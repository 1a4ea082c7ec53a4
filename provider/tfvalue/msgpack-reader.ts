// A minimal MessagePack reader that hands out one item at a time, so the schema-driven decoder can
// check each item against the type it expects. Containers are returned as headers (their length); the
// caller then reads that many items (twice as many for maps).

export type MsgpackItem =
  | { kind: 'nil' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'binary'; value: Uint8Array }
  | { kind: 'array'; length: number }
  | { kind: 'map'; length: number }
  | { kind: 'extension'; type: number; data: Uint8Array }

const textDecoder = new TextDecoder('utf-8', { fatal: true })

export class MsgpackReader {
  private position = 0
  private readonly view: DataView

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.position >= this.bytes.length
  }

  next(): MsgpackItem {
    const head = this.u8()
    if (head <= 0x7f) return { kind: 'int', value: head }
    if (head >= 0xe0) return { kind: 'int', value: head - 0x100 }
    if ((head & 0xf0) === 0x80) return { kind: 'map', length: head & 0x0f }
    if ((head & 0xf0) === 0x90) return { kind: 'array', length: head & 0x0f }
    if ((head & 0xe0) === 0xa0) return { kind: 'string', value: this.utf8(head & 0x1f) }
    switch (head) {
      case 0xc0:
        return { kind: 'nil' }
      case 0xc2:
        return { kind: 'bool', value: false }
      case 0xc3:
        return { kind: 'bool', value: true }
      case 0xc4:
        return { kind: 'binary', value: this.take(this.u8()) }
      case 0xc5:
        return { kind: 'binary', value: this.take(this.u16()) }
      case 0xc6:
        return { kind: 'binary', value: this.take(this.u32()) }
      case 0xc7:
        return this.extension(this.u8())
      case 0xc8:
        return this.extension(this.u16())
      case 0xc9:
        return this.extension(this.u32())
      case 0xca:
        return { kind: 'float', value: this.fixed(4, (o) => this.view.getFloat32(o)) }
      case 0xcb:
        return { kind: 'float', value: this.fixed(8, (o) => this.view.getFloat64(o)) }
      case 0xcc:
        return { kind: 'int', value: this.u8() }
      case 0xcd:
        return { kind: 'int', value: this.u16() }
      case 0xce:
        return { kind: 'int', value: this.u32() }
      case 0xcf:
        return { kind: 'int', value: narrow(this.fixed(8, (o) => this.view.getBigUint64(o))) }
      case 0xd0:
        return { kind: 'int', value: this.fixed(1, (o) => this.view.getInt8(o)) }
      case 0xd1:
        return { kind: 'int', value: this.fixed(2, (o) => this.view.getInt16(o)) }
      case 0xd2:
        return { kind: 'int', value: this.fixed(4, (o) => this.view.getInt32(o)) }
      case 0xd3:
        return { kind: 'int', value: narrow(this.fixed(8, (o) => this.view.getBigInt64(o))) }
      case 0xd4:
        return this.extension(1)
      case 0xd5:
        return this.extension(2)
      case 0xd6:
        return this.extension(4)
      case 0xd7:
        return this.extension(8)
      case 0xd8:
        return this.extension(16)
      case 0xd9:
        return { kind: 'string', value: this.utf8(this.u8()) }
      case 0xda:
        return { kind: 'string', value: this.utf8(this.u16()) }
      case 0xdb:
        return { kind: 'string', value: this.utf8(this.u32()) }
      case 0xdc:
        return { kind: 'array', length: this.u16() }
      case 0xdd:
        return { kind: 'array', length: this.u32() }
      case 0xde:
        return { kind: 'map', length: this.u16() }
      case 0xdf:
        return { kind: 'map', length: this.u32() }
      default:
        throw new RangeError(`msgpack: byte 0x${head.toString(16)} at offset ${this.position - 1} is not a valid type`)
    }
  }

  /** Skips one complete item, containers included. */
  skip(): void {
    const item = this.next()
    if (item.kind === 'array') for (let i = 0; i < item.length; i++) this.skip()
    if (item.kind === 'map') for (let i = 0; i < item.length * 2; i++) this.skip()
  }

  private extension(length: number): MsgpackItem {
    const type = this.fixed(1, (o) => this.view.getInt8(o))
    return { kind: 'extension', type, data: this.take(length) }
  }

  private u8(): number {
    return this.fixed(1, (o) => this.view.getUint8(o))
  }

  private u16(): number {
    return this.fixed(2, (o) => this.view.getUint16(o))
  }

  private u32(): number {
    return this.fixed(4, (o) => this.view.getUint32(o))
  }

  private fixed<T>(size: number, read: (offset: number) => T): T {
    this.require(size)
    const value = read(this.position)
    this.position += size
    return value
  }

  private take(length: number): Uint8Array {
    this.require(length)
    const slice = this.bytes.subarray(this.position, this.position + length)
    this.position += length
    return slice
  }

  private utf8(length: number): string {
    // Short ASCII strings without TextDecoder (see MsgpackWriter.string); anything else is validated by it.
    if (length <= 64) {
      this.require(length)
      const bytes = this.bytes
      const start = this.position
      let text = ''
      let i = 0
      for (; i < length; i++) {
        const byte = bytes[start + i] as number
        if (byte >= 0x80) break
        text += String.fromCharCode(byte)
      }
      if (i === length) {
        this.position += length
        return text
      }
    }
    return textDecoder.decode(this.take(length))
  }

  private require(size: number): void {
    if (this.position + size > this.bytes.length) {
      throw new RangeError(`msgpack: truncated input (need ${size} bytes at offset ${this.position} of ${this.bytes.length})`)
    }
  }
}

/** 64-bit integers come back as numbers when they fit exactly, else as bigint. */
function narrow(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}
