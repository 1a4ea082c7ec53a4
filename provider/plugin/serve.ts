// Runs the gRPC server (@grpc/grpc-js) a go-plugin host connects to. Used by main.ts (one process per
// Terraform launch, or one long-lived process in --debug/reattach mode) and directly by in-process tests.

import * as grpc from '@grpc/grpc-js'
import { generateServerCertificate } from './certificate.js'
import { goPluginServices } from './go-plugin-services.js'
import { serviceDefinitions } from './grpc-definitions.js'
import { handshakeLine } from './handshake.js'
import { providerServiceImplementation } from './provider-service.js'
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

export interface ServeOptions {
  provider: ProviderServer<unknown>
  /** PEM of the host's per-launch client CA (PLUGIN_CLIENT_CERT). Absent: plaintext gRPC. */
  clientCertificatePem?: string | undefined
  /** Reattach mode: the host's Shutdown is ignored, the process outlives each Terraform command. */
  ignoreShutdown?: boolean
  /** Called after the host asked for shutdown and the server has stopped. */
  onShutdown?: () => void
  /** Called as soon as the host's Shutdown has been answered, while the server is still stopping. */
  onShutdownRequested?: () => void
  /** Listen address; go-plugin expects loopback. */
  host?: string
}

export interface RunningPlugin {
  port: number
  handshake: string
  stop(): Promise<void>
}

export async function servePlugin(options: ServeOptions): Promise<RunningPlugin> {
  const definitions = serviceDefinitions()
  const server = new grpc.Server(SERVER_OPTIONS)
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopping ??= sidecars.endStreams().then(
      () =>
        new Promise<void>((resolve) => {
          // Give in-flight calls a moment, then cut the rest; the host kills us ≈2 s after Shutdown anyway.
          const force = setTimeout(() => server.forceShutdown(), 500)
          server.tryShutdown(() => {
            clearTimeout(force)
            resolve()
          })
        }),
    ))
  const sidecars = goPluginServices({
    endStreamsOnShutdown: !options.ignoreShutdown,
    onShutdownRequested: () => {
      if (options.ignoreShutdown) return
      options.onShutdownRequested?.()
      void stop().then(() => options.onShutdown?.())
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
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host ?? '127.0.0.1'}:0`, credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort)))
  })
  return { port, handshake: handshakeLine(port, certificateDer), stop }
}
