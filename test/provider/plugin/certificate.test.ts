// The per-launch TLS certificate. A generator that cleared only the sign bit of the serial produced a
// non-minimal DER INTEGER about once in 158 launches, which OpenSSL rejects with "illegal padding";
// thousands of certificates go through OpenSSL here.

import { X509Certificate } from 'node:crypto'
import { createSecureContext as tlsSecureContext } from 'node:tls'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { generateServerCertificate, randomSerial } from '../../../provider/plugin/certificate.js'
import { objectIdentifier, time, unsignedInteger } from '../../../provider/plugin/der.js'


const CERTIFICATES = 4000
const SECURE_CONTEXTS = 300

describe('server certificate', () => {
  it(`produces ${CERTIFICATES} certificates that OpenSSL parses and verifies, with what Terraform checks`, () => {
    const now = new Date()
    const serials = new Set<string>()
    for (let i = 0; i < CERTIFICATES; i++) {
      const generated = generateServerCertificate(now)
      const certificate = new X509Certificate(generated.certificateDer)
      expect(certificate.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/) // 16 bytes, top bits 01
      serials.add(certificate.serialNumber)
      if (i % 100 === 0) {
        expect(certificate.verify(certificate.publicKey)).toBe(true)
        expect(certificate.ca).toBe(true)
        expect(certificate.subject).toBe('CN=localhost')
        expect(certificate.issuer).toBe('CN=localhost')
        expect(certificate.subjectAltName).toBe('DNS:localhost')
        expect(certificate.checkHost('localhost')).toBe('localhost')
        expect(certificate.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']))
        expect(new Date(certificate.validFrom).getTime()).toBeLessThanOrEqual(now.getTime())
        expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(now.getTime() + 29 * 24 * 3600_000)
      }
    }
    expect(serials.size).toBe(CERTIFICATES)
  })

  it(`loads ${SECURE_CONTEXTS} certificate/key pairs into TLS contexts, as grpc-js does`, () => {
    for (let i = 0; i < SECURE_CONTEXTS; i++) {
      const generated = generateServerCertificate()
      expect(() => tlsSecureContext({ cert: generated.certificatePem, key: generated.privateKeyPem })).not.toThrow()
    }
  })

  it('makes P-521 certificates like the one Terraform sends in PLUGIN_CLIENT_CERT', () => {
    const generated = generateServerCertificate(new Date(), 'secp521r1')
    const certificate = new X509Certificate(generated.certificatePem)
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp521r1')
  })

  it('draws serials that are always positive and 16 bytes long once encoded', () => {
    for (let i = 0; i < 20_000; i++) {
      const serial = randomSerial()
      const encoded = unsignedInteger(serial)
      expect(encoded.length).toBe(18) // tag, length 16, 16 bytes: no sign byte, nothing stripped
      expect(serial[0]! & 0x80).toBe(0)
      expect(serial[0]).not.toBe(0)
    }
  })
})

describe('DER writer', () => {
  it('encodes every unsigned integer minimally (no redundant leading 00, sign byte only when needed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        const encoded = unsignedInteger(Buffer.from(bytes))
        expect(encoded[0]).toBe(0x02)
        const content = encoded.subarray(2)
        expect(encoded[1]).toBe(content.length)
        if (content.length > 1) expect(content[0] === 0x00 && (content[1]! & 0x80) === 0).toBe(false)
        expect(content[0]! & 0x80).toBe(0)
        expect(BigInt(`0x${Buffer.from(content).toString('hex')}`)).toBe(BigInt(`0x${Buffer.from(bytes).toString('hex')}`))
      }),
      { numRuns: 5000 },
    )
  })

  it('encodes object identifiers with base-128 arcs', () => {
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302')
    expect(objectIdentifier('2.5.29.17').toString('hex')).toBe('0603551d11')
  })

  it('switches from UTCTime to GeneralizedTime in 2050', () => {
    expect(time(new Date('2049-12-31T23:59:59Z')).toString()).toContain('491231235959Z')
    expect(time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(0x17)
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18)
    expect(time(new Date('2050-01-01T00:00:00Z')).toString()).toContain('20500101000000Z')
  })
})
