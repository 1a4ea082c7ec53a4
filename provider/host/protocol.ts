// What a launch and the resident provider host (host.ts) say to each other over the host's unix socket,
// and which of a launch's environment variables belong to its session rather than to the host.
//
// One JSON object per line. The launch sends one request; the host answers with the handshake line (or a
// refusal), then the session's log lines, then how the session ended. The host never sends anything a
// launch would not have printed itself: stdout gets only the handshake line, stderr only log lines.

import { StringDecoder } from 'node:string_decoder'

/** Launch → host: the launch's session variables (isSessionVariable). */
export interface SessionRequest {
  env: Record<string, string>
}

/** Host → host: a launch that rang one host's doorbell (doorbell.ts) but belongs to another host. */
export interface AdoptRequest {
  adopt: number
}

export type HostMessage =
  /** The go-plugin handshake line for this session's own gRPC server. */
  | { handshake: string }
  /** Not a launch this provider can serve (magic cookie, protocol version): print on stdout, exit 1. */
  | { refuse: string }
  /** One hclog JSON line for stderr. */
  | { log: string }
  /** The session is over (Terraform called Shutdown): exit with this code. */
  | { exit: number }

/** The host's socket, given to the host in its environment (not its arguments, which any user can read). */
export const HOST_SOCKET_VARIABLE = 'OPENC2C_PROVIDER_HOST_SOCKET'
/** The build the host runs and whether its file's line 2 has the certificate-store settings ('1' or '0'):
 * what the host needs to name the launches that ring its doorbell (doorbell.ts), given by the launch that
 * starts it. */
export const HOST_BUILD_VARIABLE = 'OPENC2C_PROVIDER_HOST_BUILD'
export const HOST_STORE_LINE_VARIABLE = 'OPENC2C_PROVIDER_HOST_STORE_LINE'
/** Turns the host off for a launch: the provider then runs inside the launched process, as without a host. */
export const HOST_SWITCH_VARIABLE = 'OPENC2C_PROVIDER_HOST'
/** Seconds an idle host waits for its next session before it exits (default 60; 0 turns the host off). */
export const HOST_IDLE_VARIABLE = 'OPENC2C_PROVIDER_HOST_IDLE_SECONDS'
export const DEFAULT_IDLE_SECONDS = 60

/** Next to the socket while a host starts: launches that find no socket yet run in-process without
 * starting another host. */
export const STARTING_SUFFIX = '.starting'

/**
 * What a launch's session reads from its environment, and all that travels to the host: go-plugin's
 * per-launch settings (plugin/handshake.ts), the log level (framework/logger.ts) and the provider settings
 * (resources/provider-config.ts), credentials among them. The host keeps them for the session only.
 */
const SESSION_VARIABLES = new Set([
  'TF_PLUGIN_MAGIC_COOKIE',
  'PLUGIN_PROTOCOL_VERSIONS',
  'PLUGIN_CLIENT_CERT',
  'TF_LOG',
  'TF_LOG_PROVIDER',
  'OPENC2C_ENDPOINT',
  'OPENC2C_ACCESS_ID',
  'OPENC2C_ACCESS_KEY',
])

export function isSessionVariable(name: string): boolean {
  return SESSION_VARIABLES.has(name)
}

/**
 * The host's environment: what Node, its libraries and the provider read for themselves (NODE_OPTIONS, the
 * CA settings of packaging/executable.ts, OpenSSL's, libuv's and grpc-js's settings, the dynamic linker's,
 * the time zone and locale, the provider's other OPENC2C_* settings), and nothing else. These variables,
 * with the build, Node's binary and flags and the working directory, name the host (launcher.ts): launches
 * that differ in any of them get different hosts, so a host runs as the provider would have run in the
 * launched process. Everything else in a
 * launch's environment (cloud credentials, TF_VAR_*, tokens) never reaches the host.
 */
export function isHostVariable(name: string): boolean {
  if (isSessionVariable(name)) return false
  return /^(NODE_|SSL_|OPENSSL_|UV_|GRPC_|LD_|OPENC2C_|LC_)/.test(name) || name === 'TZ' || name === 'LANG' || name === 'LANGUAGE'
}

/** A launch's environment, sorted into what goes with the session and what the host runs with. */
export function splitEnvironment(env: NodeJS.ProcessEnv): { session: Record<string, string>; host: Record<string, string> } {
  const session: Record<string, string> = {}
  const host: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (isSessionVariable(name)) session[name] = value
    else if (isHostVariable(name)) host[name] = value
  }
  return { session, host }
}

/** The idle time in ms; 0 when the host is turned off. A value that is not a number of seconds counts as
 * unset: a launch has nowhere to report it but Terraform's debug log. */
export function idleMsFromEnvironment(env: NodeJS.ProcessEnv): number {
  if (env[HOST_SWITCH_VARIABLE] === 'off') return 0
  const raw = env[HOST_IDLE_VARIABLE]?.trim()
  const seconds = raw ? Number(raw) : Number.NaN
  if (seconds === 0) return 0
  // Node's timers fire at once beyond 2^31 - 1 ms (about 24.8 days).
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.round(seconds * 1000), MAX_TIMER_MS) : DEFAULT_IDLE_SECONDS * 1000
}

const MAX_TIMER_MS = 2 ** 31 - 1

/** Reads newline-delimited JSON from a stream of chunks; a line that is not JSON reaches onMessage as undefined.
 * UTF-8 is decoded across chunks, so a character split between two reads arrives whole. */
export function jsonLines(onMessage: (message: unknown) => void): (chunk: Buffer | string) => void {
  let buffered = ''
  const decoder = new StringDecoder('utf8')
  return (chunk) => {
    buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end)
      buffered = buffered.slice(end + 1)
      if (line.trim() === '') continue
      let message: unknown
      try {
        message = JSON.parse(line)
      } catch {
        message = undefined
      }
      onMessage(message)
    }
  }
}
