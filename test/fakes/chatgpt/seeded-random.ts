// Deterministic randomness, so a test can regenerate exactly the events the fake served
// (and compute expected event_id sets) from a seed instead of keeping bodies in memory.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** Integer in [min, max]. */
  between(min: number, max: number): number
  bool(probabilityTrue?: number): boolean
  pick<T>(items: readonly T[]): T
  hex(length: number): string
  alnum(length: number): string
  /** RFC 4122 version-4 UUID string (lowercase). */
  uuid4(): string
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const HEX = '0123456789abcdef'

/** mulberry32: 32-bit state, fast, and good enough for test data (not for anything secret). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  const next = (): number => nextUint32() / 4294967296
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive)
  const fromAlphabet = (alphabet: string, length: number): string => {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)]
    return out
  }
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    bool: (p = 0.5) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list')
      return items[int(items.length)] as T
    },
    hex: (length) => fromAlphabet(HEX, length),
    alnum: (length) => fromAlphabet(ALNUM, length),
    uuid4: () => {
      const h = fromAlphabet(HEX, 32).split('')
      h[12] = '4'
      h[16] = HEX[(parseInt(h[16] as string, 16) & 0x3) | 0x8] as string
      const s = h.join('')
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
    },
  }
}

/** Mixes a seed with labels/indices into a new 32-bit seed (FNV-1a over the parts, then a murmur finaliser). */
export function deriveSeed(seed: number, ...parts: Array<number | string>): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0
  const mixByte = (b: number): void => {
    h ^= b & 0xff
    h = Math.imul(h, 0x01000193) >>> 0
  }
  for (const part of parts) {
    const text = typeof part === 'number' ? `#${part}` : `$${part}`
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      mixByte(c)
      mixByte(c >>> 8)
    }
    mixByte(0x1f)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35) >>> 0
  h ^= h >>> 16
  return h >>> 0
}
