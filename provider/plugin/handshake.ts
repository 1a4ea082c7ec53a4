// go-plugin's launch contract (hashicorp/go-plugin client.go/server.go, Terraform internal/plugin/serve.go):
// the host sets a magic cookie and the protocol versions it speaks, and reads one line from the plugin's
// stdout: CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT.

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE'
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2'
export const CORE_PROTOCOL_VERSION = 1
export const PLUGIN_PROTOCOL_VERSION = 6

export const NOT_A_PLUGIN_MESSAGE =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically.\n' +
  'To debug this provider, run it with --debug and set the printed TF_REATTACH_PROVIDERS.\n'

export type LaunchCheck =
  | { ok: true; clientCertificatePem: string | undefined }
  | { ok: false; reason: 'cookie' | 'protocol'; message: string }

export function checkLaunchEnvironment(env: NodeJS.ProcessEnv): LaunchCheck {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return { ok: false, reason: 'cookie', message: NOT_A_PLUGIN_MESSAGE }
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? String(PLUGIN_PROTOCOL_VERSION)).split(',').map((v) => Number(v.trim()))
  if (!offered.includes(PLUGIN_PROTOCOL_VERSION)) {
    return {
      ok: false,
      reason: 'protocol',
      message: `openc2c provider speaks plugin protocol ${PLUGIN_PROTOCOL_VERSION} only; Terraform offered ${offered.join(',')} (Terraform ≥ 1.0 is required)`,
    }
  }
  // AutoMTLS: Terraform generates a client certificate per launch. Absent with TF_DISABLE_PLUGIN_TLS=1.
  const clientCertificatePem = env.PLUGIN_CLIENT_CERT && env.PLUGIN_CLIENT_CERT.length > 0 ? env.PLUGIN_CLIENT_CERT : undefined
  return { ok: true, clientCertificatePem }
}

/**
 * The handshake line for a server on a unix socket. The certificate is DER in base64 *without padding*
 * (Go's RawStdEncoding); the host ignores the field when it is 50 characters or fewer, which is how
 * plaintext is signalled.
 */
export function handshakeLine(socketPath: string, certificateDer: Buffer | undefined): string {
  const certificate = certificateDer ? certificateDer.toString('base64').replace(/=+$/, '') : ''
  return `${CORE_PROTOCOL_VERSION}|${PLUGIN_PROTOCOL_VERSION}|unix|${socketPath}|grpc|${certificate}`
}

/** What a host does with field 6: padless base64 DER back to PEM. Used by our test harness. */
export function certificatePemFromHandshake(field: string): string {
  const der = Buffer.from(field, 'base64')
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

export interface ParsedHandshake {
  coreVersion: number
  protocolVersion: number
  network: string
  address: string
  protocol: string
  serverCertificatePem: string | undefined
}

/** The address as a grpc-js target ("unix:/path" or "host:port"). */
export function grpcTarget(handshake: Pick<ParsedHandshake, 'network' | 'address'>): string {
  return handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address
}

export function parseHandshakeLine(line: string): ParsedHandshake {
  const parts = line.trim().split('|')
  if (parts.length < 5) throw new Error(`not a go-plugin handshake line: ${JSON.stringify(line)}`)
  const [core, protocolVersion, network, address, protocol, certificate] = parts as [string, string, string, string, string, string | undefined]
  return {
    coreVersion: Number(core),
    protocolVersion: Number(protocolVersion),
    network,
    address,
    protocol,
    serverCertificatePem: certificate && certificate.length > 50 ? certificatePemFromHandshake(certificate) : undefined,
  }
}
