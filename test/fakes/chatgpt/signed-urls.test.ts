// The fake's signed-URL tokens: a token verifies only exactly as issued.
import { describe, expect, it } from 'vitest'
import { SignedUrlSigner } from './signed-urls.js'

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('SignedUrlSigner', () => {
  it('accepts the token it issued, with its file id and expiry', () => {
    const signer = new SignedUrlSigner()
    expect(signer.verify(signer.sign('file-1', 1234))).toEqual({ ok: true, fileId: 'file-1', expiresAtMs: 1234 })
  })

  it("refuses every other last character of the signature, including those differing only in base64's unused bits", () => {
    const signer = new SignedUrlSigner()
    const token = signer.sign('file-1', 1234)
    const others = [...BASE64URL].filter((c) => c !== token.at(-1))
    const accepted = others.filter((c) => signer.verify(token.slice(0, -1) + c).ok)
    expect(accepted).toEqual([])
  })

  it('refuses a token signed with another secret, or without a signature', () => {
    const token = new SignedUrlSigner().sign('file-1', 1234)
    expect(new SignedUrlSigner().verify(token)).toEqual({ ok: false, reason: 'bad_signature' })
    expect(new SignedUrlSigner().verify('no-dot')).toEqual({ ok: false, reason: 'malformed' })
  })
})
