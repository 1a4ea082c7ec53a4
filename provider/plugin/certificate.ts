// The provider's TLS server certificate for go-plugin AutoMTLS: self-signed, made fresh on every launch
// with node:crypto. Terraform pins it (from the handshake line) as both root and client CA and verifies
// ServerName "localhost", so it needs SAN DNS:localhost, CA:TRUE and serverAuth+clientAuth.
//
// Hand-written DER instead of an X.509 library: @peculiar/x509 cost ≈200 ms of start-up per launch, and
// Terraform launches the provider 2–5 times per command.

import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { bitString, booleanTrue, explicit, implicitPrimitive, objectIdentifier, octetString, sequence, set, time, unsignedInteger, utf8String } from './der.js'

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
}

// 30 s of slack for clock skew; 30 days is far beyond any provider process's life.
const NOT_BEFORE_SKEW_MS = 30_000
const LIFETIME_MS = 30 * 24 * 3600_000

export interface ServerCertificate {
  certificatePem: string
  privateKeyPem: string
  /** DER bytes, for the handshake line. */
  certificateDer: Buffer
}

/** P-256 for the provider (fast); P-521 is what Terraform uses for its client certificate, and what our
 * test harness uses to play Terraform. */
export type Curve = 'prime256v1' | 'secp521r1'

export function generateServerCertificate(now = new Date(), curve: Curve = 'prime256v1'): ServerCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const der = selfSignedCertificate(privateKey, spki, now, randomSerial(), curve === 'secp521r1' ? 'sha512' : 'sha256')
  return {
    certificateDer: der,
    certificatePem: toPem('CERTIFICATE', der),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

/**
 * 16 random bytes made positive and never starting with 0x00: `0x40 | (b & 0x3f)` keeps the top bit clear
 * (no sign byte needed) and the byte non-zero (nothing to strip), so the encoding is always 16 bytes.
 * Clearing only the sign bit made ≈1 in 158 launches fail (docs/terraform-provider.md, AutoMTLS).
 */
export function randomSerial(): Buffer {
  const serial = randomBytes(16)
  serial[0] = 0x40 | ((serial[0] as number) & 0x3f)
  return serial
}

export function selfSignedCertificate(privateKey: KeyObject, spki: Buffer, now: Date, serial: Buffer, digest: 'sha256' | 'sha512' = 'sha256'): Buffer {
  const algorithm = sequence(objectIdentifier(digest === 'sha512' ? OID.ecdsaWithSha512 : OID.ecdsaWithSha256))
  const name = sequence(set(sequence(objectIdentifier(OID.commonName), utf8String('localhost'))))
  const validity = sequence(time(new Date(now.getTime() - NOT_BEFORE_SKEW_MS)), time(new Date(now.getTime() + LIFETIME_MS)))
  // keyUsage bits: digitalSignature(0) keyEncipherment(2) keyAgreement(4) keyCertSign(5) = 1010 1100,
  // bits 6 and 7 unused.
  const keyUsage = bitString(Buffer.from([0xac]), 2)
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence(booleanTrue())),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
    extension(OID.subjectAltName, false, sequence(implicitPrimitive(2, Buffer.from('localhost')))),
  )
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    validity,
    name,
    spki,
    explicit(3, extensions),
  )
  const signature = sign(digest, tbs, privateKey) // ECDSA-Sig-Value in DER
  return sequence(tbs, algorithm, bitString(signature))
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value))
}

export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
