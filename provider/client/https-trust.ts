// Which certificate authorities the provider trusts when the endpoint is https.
//
// The shipped executable (packaging/executable.ts) starts Node with --use-openssl-ca, OpenSSL's default
// certificate paths set to /dev/null, and NODE_EXTRA_CA_CERTS moved aside to OPENC2C_NODE_EXTRA_CA_CERTS.
// Why: Node 20 builds its root certificate store at start-up when NODE_EXTRA_CA_CERTS is set (parsing
// its ≈140 bundled roots and the whole extra file: ≈85 ms before V8 even starts, measured on this
// project's 2-core machine), and otherwise when the first TLS context is made (≈40 ms; the gRPC server's
// mTLS context is one). Terraform launches the provider 2–5 times per command and most launches never
// open an https connection. With those settings the gRPC server's store holds only the client CA that
// Terraform handed over, which is what go-plugin's AutoMTLS means anyway.
//
// So an https endpoint gets its trust stated explicitly, and only when one is used: Node's bundled roots
// plus the certificates in the file NODE_EXTRA_CA_CERTS named, which is exactly what Node would have
// trusted without the launcher's settings.

import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'

/** Set by the launcher (possibly empty): the NODE_EXTRA_CA_CERTS that Terraform's environment held. */
export const LAUNCHER_EXTRA_CA_VARIABLE = 'OPENC2C_NODE_EXTRA_CA_CERTS'

export interface HttpsTrust {
  /** Certificates to trust, as PEM; absent: Node's own default trust applies. */
  ca?: string[]
  /** Why the extra file was not used, when it was named and could not be. */
  warning?: string
}

export function httpsTrust(env: NodeJS.ProcessEnv = process.env): HttpsTrust {
  const extraFile = env[LAUNCHER_EXTRA_CA_VARIABLE]
  // Not started by the launcher (e.g. run with node directly, or the user set their own CA flags, which
  // the launcher then leaves alone): Node's default store is intact.
  if (extraFile === undefined) return {}
  const ca = [...rootCertificates]
  if (extraFile === '') return { ca }
  let text: string
  try {
    text = readFileSync(extraFile, 'utf8')
  } catch (error) {
    return { ca, warning: `Ignoring extra certs from ${extraFile} (NODE_EXTRA_CA_CERTS), load failed: ${(error as Error).message}` }
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    return { ca, warning: `Ignoring extra certs from ${extraFile} (NODE_EXTRA_CA_CERTS): no PEM certificate in it` }
  }
  ca.push(text)
  return { ca }
}
