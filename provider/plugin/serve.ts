// Runs the gRPC server a go-plugin host connects to. Used by main.ts (one process per Terraform launch,
// or one long-lived process in --debug/reattach mode) and directly by in-process tests.

import { generateServerCertificate } from './certificate.js'
import { goPluginServices } from './go-plugin-services.js'
import { serviceDefinitions } from './grpc-definitions.js'
import { GrpcServer, type TlsOptions } from './grpc-server.js'
import { handshakeLine } from './handshake.js'
import { providerServiceImplementation } from './provider-service.js'
import type { ProviderServer } from '../framework/provider-server.js'

// A plan or state for hundreds of sources can exceed gRPC's customary 4 MB.
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024

export interface ServeOptions {
  provider: ProviderServer<unknown>
  /** PEM of the host's per-launch client CA (PLUGIN_CLIENT_CERT). Absent: plaintext gRPC. */
  clientCertificatePem?: string | undefined
  /** Reattach mode: the host's Shutdown is ignored, the process outlives each Terraform command. */
  ignoreShutdown?: boolean
  /** Called after the host asked for shutdown and the server has stopped. */
  onShutdown?: () => void
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
  const server = new GrpcServer({ maxReceiveBytes: MAX_MESSAGE_BYTES })
  // Give in-flight calls a moment, then cut the rest; the host kills us ≈2 s after Shutdown anyway.
  const stop = (): Promise<void> => server.close(500)
  const sidecars = goPluginServices(
    () => {
      if (options.ignoreShutdown) return
      void stop().then(() => options.onShutdown?.())
    },
    () => {
      if (!options.ignoreShutdown) server.endOpenStreams()
    },
  )
  server.addService(definitions.provider, providerServiceImplementation(options.provider))
  server.addService(definitions.health, sidecars.health)
  server.addService(definitions.controller, sidecars.controller)
  server.addService(definitions.stdio, sidecars.stdio)
  server.addService(definitions.broker, sidecars.broker)

  let certificateDer: Buffer | undefined
  let tls: TlsOptions | undefined
  if (options.clientCertificatePem) {
    const certificate = generateServerCertificate()
    certificateDer = certificate.certificateDer
    // mTLS: the host must present the certificate it put in PLUGIN_CLIENT_CERT.
    tls = { key: certificate.privateKeyPem, cert: certificate.certificatePem, ca: options.clientCertificatePem }
  }
  const port = await server.listen(options.host ?? '127.0.0.1', tls)
  return { port, handshake: handshakeLine(port, certificateDer), stop }
}
