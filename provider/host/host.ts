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
// Launches reach the host two ways: launcher.ts connects to the host's unix socket, and on Linux the
// provider file's shell line rings the host's doorbell before Node even starts (shell-launch.ts,
// doorbell.ts). Either way the session is the same; only the link to the launch differs (LaunchLink).
//
// The host exits after a quiet spell (OPENC2C_PROVIDER_HOST_IDLE_SECONDS, default 60) with no session, and
// also once its socket path no longer leads to it (removed, or taken over by a newer host).

import { connect, createServer, type Server, type Socket } from 'node:net'
import { renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { availableParallelism } from 'node:os'
import { lineLogger, levelFromEnvironment, type Logger } from '../framework/logger.js'
import type { ProviderServer } from '../framework/provider-server.js'
import { checkLaunchEnvironment } from '../plugin/handshake.js'
import { servePlugin, type RunningPlugin } from '../plugin/serve.js'
import { endLaunchFifo, inspectLaunch, openDoorbell, openLaunchFifo, processMark, sendFallback, type HostIdentity } from './doorbell.js'
import { isSessionVariable, jsonLines, STARTING_SUFFIX, type AdoptRequest, type HostMessage } from './protocol.js'
import { HOST_LINES } from './shell-launch.js'

/** How often the host checks that its socket path still leads to it. */
const SOCKET_CHECK_MS = 5_000
/** A launch sends its request as soon as it connects; a connection that sends none is dropped. */
const REQUEST_TIMEOUT_MS = 5_000
/** How often a fast launch's process is looked for: a session outlives a killed launch by at most this. */
const LAUNCH_CHECK_MS = 200
/** A host handed a launch takes it at once; one that does not (stuck) leaves the launch to Node. */
const HANDOVER_TIMEOUT_MS = 500

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
  /** Serve fast launches (shell-launch.ts) too: the host's doorbell, named by its build (Linux). */
  fastLaunch?: Omit<HostIdentity, 'socketPath'>
  /** How often a fast launch's process is looked for (it holds no connection whose end would say it went). */
  launchCheckMs?: number
}

export interface RunningHost {
  /** Sessions being served now. */
  sessions(): number
  /** Stops taking sessions; onExit follows once the open ones end. */
  retire(): void
  /** Stops now (SIGTERM): removes the socket if it is still the host's, and closes the listener. */
  close(): void
}

/** How a session reaches its launch: launcher.ts's connection, or a fast launch's FIFO (doorbell.ts). */
interface LaunchLink {
  /** The session's handshake line: from now on the launch is served. */
  handshake(line: string): void
  log(line: string): void
  /** Terraform shut the session down: the launch exits with 0. */
  exit(): void
  /** Before the handshake: the launch serves itself after all. */
  fallback(): void
  /** Not a launch the provider would serve (magic cookie, protocol versions). */
  refuse(message: string): void
  /** Calls `listener` once the launch is gone, or at once if it is gone already. */
  onGone(listener: () => void): void
}

export async function serveHost(options: HostOptions): Promise<RunningHost> {
  let active = 0
  let retiring = false
  let exited = false
  let idleTimer: NodeJS.Timeout | undefined
  const maxSessions = options.maxSessions ?? availableParallelism()
  const directory = dirname(options.socketPath)

  const server: Server = createServer((socket) => acceptConnection(socket))
  // Listen on a name of our own, then rename it into place: renaming is atomic, so two hosts started at
  // once for the same socket never both fail, and the launch connects to whichever renamed last. The
  // staging name is shorter than the socket's, which the launch made sure fits in a socket address.
  const staging = join(directory, `${process.pid}.staging`)
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
  const identity: HostIdentity | undefined = options.fastLaunch && { ...options.fastLaunch, socketPath: options.socketPath }
  const doorbell = identity && openDoorbell(directory, identity.buildId, identity.uid, (pid) => adopt(pid, false))
  doorbell?.claim()

  /** No more sessions: the socket and the doorbell go (if they are still ours) and the listener closes. */
  const stopListening = (): void => {
    retiring = true
    clearTimeout(idleTimer)
    clearInterval(socketCheck)
    doorbell?.close()
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
    // Another host can own the bell while this one finishes its sessions.
    doorbell?.close()
    exitIfDone()
  }
  const sessionEnded = (): void => {
    active--
    if (active === 0 && !retiring) idleTimer = setTimeout(retire, options.idleMs)
    exitIfDone()
  }
  const socketCheck = setInterval(() => {
    if (!ownsSocket()) retire()
    else if (!retiring) doorbell?.claim() // the bell's owner may have exited since
  }, options.socketCheckMs ?? SOCKET_CHECK_MS)
  idleTimer = setTimeout(retire, options.idleMs)

  /** A session is one Terraform command, and a host serves its sessions on one thread: beyond one per core,
   * concurrent commands (terragrunt, CI matrices) get further by running their launches in-process. */
  const full = (): boolean => retiring || active >= maxSessions

  function acceptConnection(socket: Socket): void {
    if (retiring) {
      socket.destroy() // the launch takes a closed connection as "run in-process"
      return
    }
    let requested = false
    const silent = setTimeout(() => socket.destroy(), options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS)
    socket.on('error', () => socket.destroy())
    socket.on('close', () => clearTimeout(silent))
    socket.on(
      'data',
      jsonLines((message) => {
        if (requested) return
        requested = true
        clearTimeout(silent)
        const adoptPid = (message as Partial<AdoptRequest> | undefined)?.adopt
        if (identity && typeof adoptPid === 'number' && Number.isInteger(adoptPid) && adoptPid > 0) {
          socket.end()
          adopt(adoptPid, true)
          return
        }
        const env = sessionEnvironment(message)
        if (!env || full()) socket.destroy()
        else runSession(socketLink(socket), env)
      }),
    )
    doorbell?.claim()
  }

  /** A fast launch rang (or another host handed one over): serve it here, hand it to its own host, or send
   * it on to Node. */
  function adopt(pid: number, handedOver: boolean): void {
    if (!identity) return
    const launch = inspectLaunch(pid, identity)
    if (!launch) return sendFallback(directory, pid, identity.uid)
    if (launch.socketPath !== identity.socketPath) {
      if (handedOver || !launch.socketPath) return sendFallback(directory, pid, identity.uid)
      const peer = connect(launch.socketPath)
      peer.setTimeout(HANDOVER_TIMEOUT_MS, () => peer.destroy())
      peer.on('connect', () => peer.end(`${JSON.stringify({ adopt: pid } satisfies AdoptRequest)}\n`))
      // A host that takes the launch opens its FIFO (removing the name) before its end of the connection
      // closes, so this finds nothing to tell. Otherwise (no such host, or something else on its socket) the
      // launch starts Node, whose launcher deals with that socket as usual.
      peer.on('error', () => peer.destroy())
      peer.on('close', () => sendFallback(directory, pid, identity.uid))
      return
    }
    const fifo = openLaunchFifo(directory, pid, identity.uid)
    if (!fifo) return
    if (full()) endLaunchFifo(fifo, HOST_LINES.fallback)
    else runSession(fifoLink(fifo, pid, launch.mark, options.launchCheckMs ?? LAUNCH_CHECK_MS), launch.sessionEnv)
  }

  function runSession(link: LaunchLink, env: Record<string, string>): void {
    active++
    clearTimeout(idleTimer)
    let running: RunningPlugin | undefined
    let provider: ProviderServer<unknown> | undefined
    let ended = false
    link.onGone(() => {
      ended = true
      // The launched process is gone (Terraform shut it down, or killed it): whatever the session still has
      // in flight (API requests, their retries) stops, as it stopped when the process itself exited.
      provider?.stopProvider()
      void running?.stop()
      sessionEnded()
    })
    const start = async (): Promise<void> => {
      const launch = checkLaunchEnvironment(env)
      if (!launch.ok) return link.refuse(launch.message)
      const log = lineLogger((line) => link.log(line), 'openc2c', levelFromEnvironment(env))
      try {
        provider = options.provider(env, log)
        running = await servePlugin({
          provider,
          clientCertificatePem: launch.clientCertificatePem,
          // Terraform waits for the launched process to exit after its Shutdown returns; the session's
          // server can finish stopping without the launch.
          onShutdownRequested: () => link.exit(),
        })
      } catch {
        // Before the handshake the launch can still serve itself.
        return link.fallback()
      }
      if (ended) void running.stop()
      else link.handshake(running.handshake)
    }
    void start()
  }

  return { sessions: () => active, retire, close: stopListening }
}

/** launcher.ts's connection: JSON lines (protocol.ts); a closed connection before the handshake means
 * "run in-process". */
function socketLink(socket: Socket): LaunchLink {
  const send = (message: HostMessage): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`)
  }
  return {
    handshake: (line) => send({ handshake: line }),
    log: (line) => send({ log: line }),
    exit: () => {
      send({ exit: 0 })
      socket.end()
    },
    fallback: () => socket.destroy(),
    refuse: (message) => {
      send({ refuse: message })
      socket.end()
    },
    onGone: (listener) => (socket.closed ? queueMicrotask(listener) : socket.once('close', listener)),
  }
}

/** A fast launch's FIFO: text lines for the shell (shell-launch.ts HOST_LINES). The shell holds no
 * connection whose end would tell the host it went, so its process is looked for every `checkMs`; the
 * FIFO's close is the launch's end either way. */
function fifoLink(fifo: Socket, pid: number, mark: string, checkMs: number): LaunchLink {
  const check = setInterval(() => {
    if (processMark(pid) !== mark) fifo.destroy()
  }, checkMs)
  fifo.on('error', () => fifo.destroy())
  fifo.on('close', () => clearInterval(check))
  const line = (text: string): void => {
    if (!fifo.destroyed) fifo.write(`${text}\n`)
  }
  const last = (text: string): void => {
    if (!fifo.destroyed) endLaunchFifo(fifo, text)
  }
  return {
    handshake: (text) => line(`${HOST_LINES.handshake}${text}`),
    log: (text) => line(`${HOST_LINES.log}${text}`),
    exit: () => last(HOST_LINES.exit(0)),
    fallback: () => last(HOST_LINES.fallback),
    // The in-process provider that a fallback starts says itself why it refuses a launch.
    refuse: () => last(HOST_LINES.fallback),
    onGone: (listener) => (fifo.closed ? queueMicrotask(listener) : fifo.once('close', listener)),
  }
}

/** The request's variables, when it is a request and holds session variables only. */
function sessionEnvironment(message: unknown): Record<string, string> | undefined {
  const env = (message as { env?: unknown } | undefined)?.env
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return undefined
  const entries = Object.entries(env)
  if (!entries.every(([name, value]) => isSessionVariable(name) && typeof value === 'string')) return undefined
  return Object.fromEntries(entries) as Record<string, string>
}
