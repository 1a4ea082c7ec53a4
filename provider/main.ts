// terraform-provider-openc2c entry point.
//
//   launched by Terraform   checks the magic cookie, serves gRPC (AutoMTLS when PLUGIN_CLIENT_CERT is
//                           set), prints the handshake line, exits when Terraform calls Shutdown
//   --debug                 reattach mode: plaintext, prints TF_REATTACH_PROVIDERS for the user to export,
//                           serves any number of Terraform commands until interrupted
//   --host                  the resident host (host/host.ts), started by a launch (host/launcher.ts) with its
//                           socket in OPENC2C_PROVIDER_HOST_SOCKET: serves launches as sessions, exits when idle
//
// A launch normally reaches this file only when it runs without a host (host/launcher.ts says when).

import { guardStdout } from './plugin/stdout-guard.js'
import { checkLaunchEnvironment, PLUGIN_PROTOCOL_VERSION } from './plugin/handshake.js'
import { servePlugin } from './plugin/serve.js'
import { warmUpDefinitions } from './plugin/grpc-definitions.js'
import { ProviderServer } from './framework/provider-server.js'
import { stderrLogger } from './framework/logger.js'
import { openc2cProvider } from './resources/provider-config.js'
import { PROVIDER_ADDRESS, PROVIDER_VERSION } from './version.js'
import { serveHost } from './host/host.js'
import { DEFAULT_IDLE_SECONDS, HOST_BUILD_VARIABLE, HOST_SOCKET_VARIABLE, HOST_STORE_LINE_VARIABLE, idleMsFromEnvironment } from './host/protocol.js'

async function main(argv: string[]): Promise<void> {
  const writeLine = guardStdout()
  const log = stderrLogger('openc2c')
  if (argv.includes('--version')) {
    // The loader (packaging/executable.ts) records whether V8 took the embedded code cache.
    const codeCache = (globalThis as { __openc2cCodeCache?: string }).__openc2cCodeCache ?? 'none'
    writeLine(`terraform-provider-openc2c ${PROVIDER_VERSION} (node ${process.version}, code cache ${codeCache})`)
    return
  }
  const hostSocket = process.env[HOST_SOCKET_VARIABLE]
  if (argv.includes('--host') && hostSocket) {
    const host = await serveHost({
      socketPath: hostSocket,
      idleMs: idleMsFromEnvironment(process.env) || DEFAULT_IDLE_SECONDS * 1000,
      provider: (env, sessionLog) => new ProviderServer(openc2cProvider(env), sessionLog) as ProviderServer<unknown>,
      onExit: () => process.exit(0),
      fastLaunch: fastLaunchIdentity(),
    })
    process.on('SIGINT', () => {})
    process.on('SIGTERM', () => {
      host.close()
      process.exit(0)
    })
    setImmediate(warmUpDefinitions)
    return
  }
  const provider = new ProviderServer(openc2cProvider(), log) as ProviderServer<unknown>

  if (argv.includes('--debug')) {
    const running = await servePlugin({ provider, ignoreShutdown: true })
    const reattach = {
      [PROVIDER_ADDRESS]: {
        Protocol: 'grpc',
        ProtocolVersion: PLUGIN_PROTOCOL_VERSION,
        Pid: process.pid,
        Test: true,
        Addr: { Network: 'tcp', String: `127.0.0.1:${running.port}` },
      },
    }
    writeLine('Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell running terraform:')
    writeLine('')
    writeLine(`\tTF_REATTACH_PROVIDERS='${JSON.stringify(reattach)}'`)
    const stop = (): void => void running.stop().then(() => process.exit(0))
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
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
  process.on('SIGTERM', () => void running.stop().then(() => process.exit(0)))
  writeLine(running.handshake)
  // Terraform now spends ≈15 ms setting up TLS before its first call: build the protobuf types meanwhile.
  setImmediate(warmUpDefinitions)
}

/** What the host needs to serve the shell's fast launches (host/shell-launch.ts): Linux, and told its build by
 * the launch that started it. */
function fastLaunchIdentity(): Parameters<typeof serveHost>[0]['fastLaunch'] {
  const buildId = process.env[HOST_BUILD_VARIABLE]
  if (process.platform !== 'linux' || !buildId || !/^[0-9a-f]{32}$/.test(buildId)) return undefined
  return { buildId, certificateStoreLine: process.env[HOST_STORE_LINE_VARIABLE] === '1', execArgv: process.execArgv, uid: process.getuid?.() ?? -1 }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Before the handshake, a line on stdout reaches the user as "Unrecognized remote plugin message".
  process.stdout.write(`openc2c provider failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
