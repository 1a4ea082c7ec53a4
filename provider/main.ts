// terraform-provider-openc2c entry point. One process per launch, as Terraform runs every provider:
//
//   launched by Terraform   checks the magic cookie, serves gRPC on a unix socket (AutoMTLS when
//                           PLUGIN_CLIENT_CERT is set), prints the handshake line, exits when Terraform
//                           calls Shutdown
//   --debug                 reattach mode: plaintext on a unix socket, prints TF_REATTACH_PROVIDERS for the
//                           user to export, serves any number of Terraform commands until interrupted
//   --version               the version, and whether V8 took the embedded code cache

import { guardStdout } from './plugin/stdout-guard.js'
import { checkLaunchEnvironment, PLUGIN_PROTOCOL_VERSION } from './plugin/handshake.js'
import { servePlugin } from './plugin/serve.js'
import { warmUpDefinitions } from './plugin/grpc-definitions.js'
import { ProviderServer } from './framework/provider-server.js'
import { stderrLogger } from './framework/logger.js'
import { openc2cProvider } from './resources/provider-config.js'
import { PROVIDER_ADDRESS, PROVIDER_VERSION } from './version.js'

async function main(argv: string[]): Promise<void> {
  const writeLine = guardStdout()
  if (argv.includes('--version')) {
    // The loader (packaging/executable.ts) records whether V8 took the embedded code cache.
    const codeCache = (globalThis as { __openc2cCodeCache?: string }).__openc2cCodeCache ?? 'none'
    writeLine(`terraform-provider-openc2c ${PROVIDER_VERSION} (node ${process.version}, code cache ${codeCache})`)
    return
  }
  const provider = new ProviderServer(openc2cProvider(), stderrLogger('openc2c')) as ProviderServer<unknown>

  if (argv.includes('--debug')) {
    const running = await servePlugin({ provider, ignoreShutdown: true })
    const reattach = {
      [PROVIDER_ADDRESS]: {
        Protocol: 'grpc',
        ProtocolVersion: PLUGIN_PROTOCOL_VERSION,
        Pid: process.pid,
        Test: true,
        Addr: { Network: 'unix', String: running.socketPath },
      },
    }
    writeLine('Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell running terraform:')
    writeLine('')
    writeLine(`\tTF_REATTACH_PROVIDERS='${JSON.stringify(reattach)}'`)
    exitOnSignals(running.stop, ['SIGINT', 'SIGTERM', 'SIGHUP'])
    return
  }

  const launch = checkLaunchEnvironment(process.env)
  if (!launch.ok) {
    // Printed on stdout on purpose: Terraform shows it as "Unrecognized remote plugin message: ...".
    writeLine(launch.message)
    process.exitCode = 1
    return
  }
  // A terminal Ctrl-C reaches the whole process group; Terraform answers it with StopProvider, so the
  // provider itself ignores SIGINT, as go-plugin servers do.
  process.on('SIGINT', () => {})
  const running = await servePlugin({
    provider,
    clientCertificatePem: launch.clientCertificatePem,
    onShutdown: () => process.exit(0),
  })
  exitOnSignals(running.stop, ['SIGTERM', 'SIGHUP'])
  writeLine(running.handshake)
  // Terraform now spends a few milliseconds setting up TLS before its first call: build the protobuf
  // types meanwhile.
  setImmediate(warmUpDefinitions)
}

/** Stops the server (which removes its socket folder), then exits. */
function exitOnSignals(stop: () => Promise<void>, signals: NodeJS.Signals[]): void {
  const exit = (): void => void stop().then(() => process.exit(0))
  for (const signal of signals) process.on(signal, exit)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Before the handshake, a line on stdout reaches the user as "Unrecognized remote plugin message".
  process.stdout.write(`openc2c provider failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
