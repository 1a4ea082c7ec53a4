// The resident provider host: one long-lived provider process that serves Terraform's launches.
//
// Why: Terraform starts the provider once per phase of a command (a plan: schema, validate, plan), and a
// Node provider spends ≈100 ms of each start on things a Go binary does not: booting Node, compiling the
// program, loading grpc-js, http2 and TLS, running every RPC on cold code, exiting. A plan of 100 sources
// took 5× as long as the same plan with terraform_data, and no amount of trimming brings a Node start under
// what that goal allows (BENCHMARKS.md). So the launches stay (Terraform insists on a process per launch),
// but each becomes a small launcher (launcher.ts) that asks this host for a session.
//
// A session is what a launched provider process used to be: its own gRPC server on its own port, with its
// own AutoMTLS server certificate and trust in that launch's client certificate only, its own provider
// (configuration, credentials, StopProvider) and its own log level, built from the launch's session
// variables. Terraform's Shutdown ends the session, not the host; so does the launcher's exit. Nothing of a
// session outlives it except the process-wide HTTP keep-alive agents (client/api-client.ts), which hold
// connections, not credentials: when the launch's process goes, the session's in-flight work is aborted
// (as StopProvider does) and its server stops.
//
// The host exits after a quiet spell (OPENC2C_PROVIDER_HOST_IDLE_SECONDS, default 60) with no session, and
// also once its socket path no longer leads to it (removed, or taken over by a newer host).

import { createServer, type Server, type Socket } from 'node:net'
import { renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { availableParallelism } from 'node:os'
import { lineLogger, levelFromEnvironment, type Logger } from '../framework/logger.js'
import type { ProviderServer } from '../framework/provider-server.js'
import { checkLaunchEnvironment } from '../plugin/handshake.js'
import { servePlugin, type RunningPlugin } from '../plugin/serve.js'
import { isSessionVariable, jsonLines, STARTING_SUFFIX, type HostMessage } from './protocol.js'

/** How often the host checks that its socket path still leads to it. */
const SOCKET_CHECK_MS = 5_000
/** A launch sends its request as soon as it connects; a connection that sends none is dropped. */
const REQUEST_TIMEOUT_MS = 5_000

export interface HostOptions {
  socketPath: string
  idleMs: number
  /** The provider for one session, from that launch's session variables. */
  provider: (env: NodeJS.ProcessEnv, log: Logger) => ProviderServer<unknown>
  /** Called once, when the host has stopped taking sessions and the last one has ended. */
  onExit: () => void
  socketCheckMs?: number
  /** Sessions served at once (default: the number of cores); launches beyond it run in-process. */
  maxSessions?: number
  requestTimeoutMs?: number
}

export interface RunningHost {
  /** Sessions being served now. */
  sessions(): number
  /** Stops taking sessions; onExit follows once the open ones end. */
  retire(): void
  /** Stops now (SIGTERM): removes the socket if it is still the host's, and closes the listener. */
  close(): void
}

export async function serveHost(options: HostOptions): Promise<RunningHost> {
  let active = 0
  let retiring = false
  let exited = false
  let idleTimer: NodeJS.Timeout | undefined
  const maxSessions = options.maxSessions ?? availableParallelism()

  const server: Server = createServer((socket) => serveSession(socket))
  // Listen on a name of our own, then rename it into place: renaming is atomic, so two hosts started at
  // once for the same socket never both fail, and the launch connects to whichever renamed last. The
  // staging name is shorter than the socket's, which the launch made sure fits in a socket address.
  const staging = join(dirname(options.socketPath), `${process.pid}.staging`)
  rmSync(staging, { force: true })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(staging, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const inode = statSync(staging).ino
  renameSync(staging, options.socketPath)
  // Listening: the next launch that finds no host may start one. A host that failed to get here leaves the
  // claim, whose age (launcher.ts) then spaces out further attempts.
  rmSync(`${options.socketPath}${STARTING_SUFFIX}`, { force: true })
  const ownsSocket = (): boolean => {
    try {
      return statSync(options.socketPath).ino === inode
    } catch {
      return false
    }
  }

  /** No more sessions: the socket goes (if it is still ours) and the listener closes. */
  const stopListening = (): void => {
    retiring = true
    clearTimeout(idleTimer)
    clearInterval(socketCheck)
    if (ownsSocket()) rmSync(options.socketPath, { force: true })
    server.close()
  }
  const exitIfDone = (): void => {
    if (!retiring || active > 0 || exited) return
    exited = true
    stopListening()
    options.onExit()
  }
  const retire = (): void => {
    retiring = true
    exitIfDone()
  }
  const sessionEnded = (): void => {
    active--
    if (active === 0 && !retiring) idleTimer = setTimeout(retire, options.idleMs)
    exitIfDone()
  }
  const socketCheck = setInterval(() => {
    if (!ownsSocket()) retire()
  }, options.socketCheckMs ?? SOCKET_CHECK_MS)
  idleTimer = setTimeout(retire, options.idleMs)

  function serveSession(socket: Socket): void {
    // A session is one Terraform command, and a host serves its sessions on one thread: beyond one per core,
    // concurrent commands (terragrunt, CI matrices) get further by running their launches in-process. The
    // launch takes a closed connection as "run in-process".
    if (retiring || active >= maxSessions) {
      socket.destroy()
      return
    }
    active++
    clearTimeout(idleTimer)
    let running: RunningPlugin | undefined
    let provider: ProviderServer<unknown> | undefined
    let ended = false
    let requested = false
    const send = (message: HostMessage): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`)
    }
    const silent = setTimeout(() => socket.destroy(), options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS)
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      clearTimeout(silent)
      ended = true
      // The launched process is gone (Terraform shut it down, or killed it): whatever the session still has
      // in flight (API requests, their retries) stops, as it stopped when the process itself exited.
      provider?.stopProvider()
      void running?.stop()
      sessionEnded()
    })
    socket.on(
      'data',
      jsonLines((message) => {
        if (requested) return
        requested = true
        clearTimeout(silent)
        void start(message)
      }),
    )

    const start = async (message: unknown): Promise<void> => {
      const env = sessionEnvironment(message)
      if (!env) {
        socket.destroy()
        return
      }
      const launch = checkLaunchEnvironment(env)
      if (!launch.ok) {
        send({ refuse: launch.message })
        socket.end()
        return
      }
      const log = lineLogger((line) => send({ log: line }), 'openc2c', levelFromEnvironment(env))
      try {
        provider = options.provider(env, log)
        running = await servePlugin({
          provider,
          clientCertificatePem: launch.clientCertificatePem,
          // Terraform waits for the launched process to exit after its Shutdown returns; the session's
          // server can finish stopping without the launch.
          onShutdownRequested: () => {
            send({ exit: 0 })
            socket.end()
          },
        })
      } catch {
        // Before the handshake the launch can still serve itself (launcher.ts falls back in-process).
        socket.destroy()
        return
      }
      if (ended) void running.stop()
      else send({ handshake: running.handshake })
    }
  }

  return { sessions: () => active, retire, close: stopListening }
}

/** The request's variables, when it is a request and holds session variables only. */
function sessionEnvironment(message: unknown): Record<string, string> | undefined {
  const env = (message as { env?: unknown } | undefined)?.env
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return undefined
  const entries = Object.entries(env)
  if (!entries.every(([name, value]) => isSessionVariable(name) && typeof value === 'string')) return undefined
  return Object.fromEntries(entries) as Record<string, string>
}
