// Tokens for the fake "signed storage" URLs: the file id and an expiry, HMAC-SHA256 signed with a secret
// that lives only in the fake process, like a pre-signed blob URL (docs/logs-platform.md §3).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export type SignedTokenCheck =
  | { ok: true; fileId: string; expiresAtMs: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' }

export class SignedUrlSigner {
  private readonly secret: Buffer

  constructor(secret: Buffer = randomBytes(32)) {
    this.secret = secret
  }

  sign(fileId: string, expiresAtMs: number): string {
    // A nonce makes every issued URL distinct, as real pre-signed URLs are.
    const payload = Buffer.from(JSON.stringify({ f: fileId, e: expiresAtMs, n: randomBytes(6).toString('hex') })).toString('base64url')
    return `${payload}.${this.mac(payload)}`
  }

  verify(token: string): SignedTokenCheck {
    const dot = token.indexOf('.')
    if (dot <= 0) return { ok: false, reason: 'malformed' }
    const payload = token.slice(0, dot)
    // The signature's text is compared, as blob stores compare theirs: decoded bytes would accept a last
    // character that differs only in base64's unused low bits (43 characters carry 256 bits).
    const given = Buffer.from(token.slice(dot + 1))
    const expected = Buffer.from(this.mac(payload))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' }
    try {
      const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { f?: unknown; e?: unknown }
      if (typeof decoded.f !== 'string' || typeof decoded.e !== 'number') return { ok: false, reason: 'malformed' }
      return { ok: true, fileId: decoded.f, expiresAtMs: decoded.e }
    } catch {
      return { ok: false, reason: 'malformed' }
    }
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url')
  }
}
