// A go-plugin host in Node, doing what Terraform does when it launches a provider: magic cookie,
// PLUGIN_PROTOCOL_VERSIONS, a fresh P-521 client certificate in PLUGIN_CLIENT_CERT, read the handshake line,
// rebuild the server certificate from its padless base64 DER, then mTLS gRPC with ServerName "localhost".
//
// Each launch gets a folder of its own as PLUGIN_UNIX_SOCKET_DIR, where the provider makes its socket's
// folder: the test sees what the provider left there when it exited, and removes the folder even after a
// SIGKILL (which leaves the provider no chance to clean up).

import * as grpc from '@grpc/grpc-js'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'
import { SERVICE_NAMES, serviceDefinitions, type ServiceKey } from '../../../provider/plugin/grpc-definitions.js'
import { grpcTarget, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, parseHandshakeLine, type ParsedHandshake } from '../../../provider/plugin/handshake.js'

export interface LaunchOptions {
  /** false: like TF_DISABLE_PLUGIN_TLS=1, no client certificate, plaintext gRPC. */
  tls?: boolean
  env?: NodeJS.ProcessEnv
  handshakeTimeoutMs?: number
}

export interface ProviderExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** What the provider left in its PLUGIN_UNIX_SOCKET_DIR when it exited (it should leave nothing). */
  leftovers: string[]
}

export interface PluginConnection extends PluginClients {
  child: ChildProcess
  /** The client certificate this launch gave the provider (undefined without TLS). */
  client: ClientCertificate | undefined
  /** Milliseconds from spawn to the handshake line. */
  handshakeMs: number
  stderr: string[]
  /** Settles when the process has exited; the launch's socket folder is removed by then. */
  exit: Promise<ProviderExit>
  /** Shutdown via the controller, like Terraform at the end of a command; resolves with the exit. */
  shutdown(): Promise<ProviderExit>
  /** SIGKILL; resolves with the exit. */
  kill(): Promise<ProviderExit>
}

export async function launchProvider(executable: string, options: LaunchOptions = {}): Promise<PluginConnection> {
  const tls = options.tls ?? true
  const client = tls ? clientCertificate() : undefined
  const socketParent = mkdtempSync(join(tmpdir(), 'openc2c-test-launch-'))
  const started = performance.now()
  const child = spawn(executable, [], {
    env: {
      ...process.env,
      PLUGIN_UNIX_SOCKET_DIR: socketParent,
      ...options.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      ...(client ? { PLUGIN_CLIENT_CERT: client.certificatePem } : { PLUGIN_CLIENT_CERT: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line))
  const exit = once(child, 'exit').then(([code, signal]): ProviderExit => {
    const leftovers = readdirSync(socketParent)
    rmSync(socketParent, { recursive: true, force: true })
    return { code: code as number | null, signal: signal as NodeJS.Signals | null, leftovers }
  })
  const lines = createInterface({ input: child.stdout! })
  const handshakeLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no handshake within ${options.handshakeTimeoutMs ?? 15_000} ms; stderr: ${stderr.join('\n')}`)), options.handshakeTimeoutMs ?? 15_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    void exit.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`provider exited (${code}) before the handshake; stderr: ${stderr.join('\n')}`))
    })
  })
  const handshakeMs = performance.now() - started
  const clients = connectPlugin(handshakeLine, client)
  const connection: PluginConnection = {
    child,
    client,
    handshakeMs,
    ...clients,
    stderr,
    exit,
    async shutdown() {
      await call(connection.controller, 'Shutdown', {}).catch(() => undefined)
      const result = await exit
      closePluginClients(connection)
      return result
    },
    kill() {
      closePluginClients(connection)
      child.kill('SIGKILL')
      return exit
    },
  }
  return connection
}

/** The launch's own client certificate (what Terraform puts in PLUGIN_CLIENT_CERT). */
export type ClientCertificate = ReturnType<typeof generateServerCertificate>

export function clientCertificate(): ClientCertificate {
  return generateServerCertificate(new Date(), 'secp521r1')
}

export interface PluginClients {
  handshake: ParsedHandshake
  handshakeLine: string
  provider: grpc.Client
  health: grpc.Client
  controller: grpc.Client
  stdio: grpc.Client
  broker: grpc.Client
}

/** gRPC clients for the server a handshake line names, over mTLS with `client` (plaintext without one). */
export function connectPlugin(handshakeLine: string, client: ClientCertificate | undefined): PluginClients {
  const handshake = parseHandshakeLine(handshakeLine)
  if (client && !handshake.serverCertificatePem) throw new Error(`handshake without a server certificate: ${handshakeLine}`)
  const credentials =
    client && handshake.serverCertificatePem
      ? grpc.credentials.createSsl(Buffer.from(handshake.serverCertificatePem), Buffer.from(client.privateKeyPem), Buffer.from(client.certificatePem))
      : grpc.credentials.createInsecure()
  const channelOptions = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' }
  const make = (ctor: grpc.ServiceClientConstructor): grpc.Client => new ctor(grpcTarget(handshake), credentials, channelOptions)
  return {
    handshake,
    handshakeLine,
    provider: make(clientConstructor('provider')),
    health: make(clientConstructor('health')),
    controller: make(clientConstructor('controller')),
    stdio: make(clientConstructor('stdio')),
    broker: make(clientConstructor('broker')),
  }
}

export function closePluginClients(clients: PluginClients): void {
  for (const client of [clients.provider, clients.health, clients.controller, clients.stdio, clients.broker]) client.close()
}

/** Unary call, promisified. */
export function call<T = Record<string, unknown>>(client: grpc.Client, method: string, request: unknown, deadlineMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: T) => void) => void>)[method]
    if (!fn) return reject(new Error(`no method ${method}`))
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response)))
  })
}

/** Client constructors for the services, from the same definitions the provider serves. */
export function clientConstructor(key: ServiceKey): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(serviceDefinitions()[key], SERVICE_NAMES[key])
}
