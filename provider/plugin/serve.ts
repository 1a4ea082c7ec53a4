// Runs the gRPC server (@grpc/grpc-js) a go-plugin host connects to, on a unix socket in a private folder
// (socket-directory.ts). Used by main.ts: one process per Terraform launch, or one long-lived process in
// --debug/reattach mode.

import * as grpc from '@grpc/grpc-js'
import { generateServerCertificate } from './certificate.js'
import { goPluginServices } from './go-plugin-services.js'
import { serviceDefinitions } from './grpc-definitions.js'
import { handshakeLine } from './handshake.js'
import { providerServiceImplementation } from './provider-service.js'
import { createSocketDirectory } from './socket-directory.js'
import type { ProviderServer } from '../framework/provider-server.js'

// grpc-js caps received messages at 4 MB; a plan or state for hundreds of sources can exceed that.
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // Nobody can query channelz here (no admin service is registered), and with it on grpc-js keeps call
  // counters and socket records on every call and connection.
  'grpc.enable_channelz': 0,
}

// After Shutdown, in-flight calls get this long before the rest are cut; the host kills us ≈2 s after
// Shutdown anyway.
const GRACE_MS = 500

export interface ServeOptions {
  provider: ProviderServer<unknown>
  /** PEM of the host's per-launch client certificate (PLUGIN_CLIENT_CERT). Absent: plaintext gRPC. */
  clientCertificatePem?: string | undefined
  /** Reattach mode: the host's Shutdown is ignored, the process outlives each Terraform command. */
  ignoreShutdown?: boolean
  /** Called after the host asked for shutdown, the server has stopped and the socket is gone. */
  onShutdown?: () => void
}

export interface RunningPlugin {
  socketPath: string
  handshake: string
  /** Stops the server and removes the socket and its folder. */
  stop(): Promise<void>
}

export async function servePlugin(options: ServeOptions): Promise<RunningPlugin> {
  const definitions = serviceDefinitions()
  const server = new grpc.Server(SERVER_OPTIONS)
  const socket = createSocketDirectory()
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= sidecars
      .endStreams()
      .then(
        () =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => server.forceShutdown(), GRACE_MS)
            server.tryShutdown(() => {
              clearTimeout(force)
              resolve()
            })
          }),
      )
      .finally(socket.remove))
  const sidecars = goPluginServices({
    endStreamsOnShutdown: !options.ignoreShutdown,
    onShutdownRequested: () => {
      if (!options.ignoreShutdown) void stop().then(() => options.onShutdown?.())
    },
  })
  server.addService(definitions.provider, providerServiceImplementation(options.provider))
  server.addService(definitions.health, sidecars.health)
  server.addService(definitions.controller, sidecars.controller)
  server.addService(definitions.stdio, sidecars.stdio)
  server.addService(definitions.broker, sidecars.broker)

  let certificateDer: Buffer | undefined
  let credentials = grpc.ServerCredentials.createInsecure()
  if (options.clientCertificatePem) {
    const certificate = generateServerCertificate()
    certificateDer = certificate.certificateDer
    credentials = grpc.ServerCredentials.createSsl(
      Buffer.from(options.clientCertificatePem),
      [{ private_key: Buffer.from(certificate.privateKeyPem), cert_chain: Buffer.from(certificate.certificatePem) }],
      true, // mTLS: the host must present the certificate it put in PLUGIN_CLIENT_CERT
    )
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${socket.socketPath}`, credentials, (error) => (error ? reject(error) : resolve()))
    })
  } catch (error) {
    socket.remove()
    throw error
  }
  return { socketPath: socket.socketPath, handshake: handshakeLine(socket.socketPath, certificateDer), stop }
}
