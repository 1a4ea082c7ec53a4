// Which certificate authorities the provider trusts when the endpoint is https.
//
// The shipped executable (packaging/executable.ts) starts Node with --use-openssl-ca, OpenSSL's default
// certificate paths (SSL_CERT_FILE, SSL_CERT_DIR) set to /dev/null, and NODE_EXTRA_CA_CERTS moved aside
// to OPENC2C_NODE_EXTRA_CA_CERTS. Why: Node 20 builds a root certificate store that a launch never uses,
// parsing its ≈140 bundled roots and the whole extra file at start-up when NODE_EXTRA_CA_CERTS is set
// (≈85 ms before V8 even starts, on this project's 2-core machine), and otherwise when the first TLS
// context with a `ca` is made (≈40 ms; the gRPC server's mTLS context is one, though it verifies
// Terraform's client certificate against that `ca` alone). Terraform launches the provider 2–5 times per
// command, and most launches never open an https connection.
//
// So an https endpoint gets its trust stated explicitly, once, when first used: Node's bundled roots plus
// the certificates in the file NODE_EXTRA_CA_CERTS named, which is what an official Node build trusts by
// default. Node builds that trust OpenSSL's store by default instead (distribution packages configured
// with --openssl-use-def-ca-store) cannot be matched from here, since a `ca` replaces the store rather than
// adding to it: the build leaves the launcher's settings out when it runs on such a Node (bundle.ts), and
// if the provider was built with another Node, a warning says to rebuild it.
//
// Only the API client's https agent (api-client.ts) uses this. Any other TLS client added to the provider
// must go through it too: under the launcher, Node's default store is empty.

import { readFileSync } from 'node:fs'
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls'

/** Set by the launcher (possibly empty): the NODE_EXTRA_CA_CERTS that Terraform's environment held. */
export const LAUNCHER_EXTRA_CA_VARIABLE = 'OPENC2C_NODE_EXTRA_CA_CERTS'

export interface HttpsTrust {
  /** Certificates to trust, as PEM; absent: Node's own default trust applies. */
  ca?: string[]
  /** What the user should know: an extra file that could not be used, a Node that trusts another store. */
  warnings: string[]
}

export interface TrustInputs {
  env?: NodeJS.ProcessEnv
  execArgv?: string[]
  /** Whether this Node build trusts OpenSSL's default store by default. */
  opensslDefaultStore?: boolean
}

/** True for Node builds configured with --openssl-use-def-ca-store (official builds use their bundled roots). */
export function usesOpenSslStoreByDefault(): boolean {
  return (process.config.variables as Record<string, unknown>).openssl_use_def_ca_store === true
}

export function httpsTrust({ env = process.env, execArgv = process.execArgv, opensslDefaultStore = usesOpenSslStoreByDefault() }: TrustInputs = {}): HttpsTrust {
  const extraFile = env[LAUNCHER_EXTRA_CA_VARIABLE]
  // Not started with the launcher's settings (run with node directly, an older provider file, or the user
  // chose a CA store, which the launcher then leaves alone): Node's default store is intact.
  if (extraFile === undefined || !execArgv.includes('--use-openssl-ca') || env.SSL_CERT_FILE !== '/dev/null') return { warnings: [] }
  const ca = [...rootCertificates]
  const warnings: string[] = []
  if (opensslDefaultStore) {
    warnings.push(
      "This Node trusts OpenSSL's certificate store by default, but the provider was built with a Node that does not: " +
        'an https endpoint is checked against Node\'s bundled roots and NODE_EXTRA_CA_CERTS only. Rebuild the provider with this Node (npm run build:provider).',
    )
  }
  if (extraFile === '') return { ca, warnings }
  let text: string
  try {
    text = readFileSync(extraFile, 'utf8')
  } catch (error) {
    warnings.push(`Ignoring extra certs from ${extraFile} (NODE_EXTRA_CA_CERTS), load failed: ${(error as Error).message}`)
    return { ca, warnings }
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    warnings.push(`Ignoring extra certs from ${extraFile} (NODE_EXTRA_CA_CERTS): no PEM certificate in it`)
    return { ca, warnings }
  }
  ca.push(text)
  return { ca, warnings }
}

/**
 * The TLS context every https connection shares. An https.Agent given `ca` would build a context per new
 * connection, parsing all ≈140 roots each time (≈50 ms of the main thread), and Terraform opens up to 10
 * connections at once.
 */
export function httpsSecureContext(trust: HttpsTrust): SecureContext | undefined {
  return trust.ca ? createSecureContext({ ca: trust.ca }) : undefined
}
