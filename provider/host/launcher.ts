// The launch side of the resident provider host (host.ts says why there is one). Terraform starts the
// provider file 3–5 times per command; each start runs this small program first, before any of the
// provider is compiled:
//
//   1. Not a Terraform launch (no magic cookie), --version, --debug, the host turned off, or no private
//      directory for its socket: run the provider in this process, as a provider without a host does.
//   2. Connect to the host for this build and environment and send the launch's session variables.
//      Nobody listening: start the host (detached, so it outlives this launch) for the launches after
//      this one, and run this one in-process.
//   3. The host answers with the handshake line of a gRPC server it started for this launch alone: print
//      it on stdout, copy the session's log lines to stderr, exit when the host says Terraform shut the
//      session down. Terraform sees the process it started do everything a provider process does.
//
// Until the handshake line is printed any failure (no host, a host that does not answer, a socket that
// cannot be made) falls back to step 1's in-process provider, so the host can make a launch faster but
// never make it fail. After it, a lost host ends the launch with an error, as a crashed provider would.
//
// Only Node's own modules are used here: the build compiles this file apart from the provider
// (packaging/bundle.ts) so that a launch that reaches a host never compiles the provider at all.

import { lstatSync, mkdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { dirname, isAbsolute, join } from 'node:path'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../plugin/handshake.js'
import { LAUNCH_FIFO_SUFFIX } from './shell-launch.js'
import { HOST_BUILD_VARIABLE, HOST_SOCKET_VARIABLE, HOST_STORE_LINE_VARIABLE, idleMsFromEnvironment, jsonLines, splitEnvironment, STARTING_SUFFIX, type HostMessage, type SessionRequest } from './protocol.js'

/** A host that accepted the connection must answer within this (it takes ≈5 ms); otherwise the launch
 * runs in-process and starts a host to replace the stuck one. */
const ANSWER_TIMEOUT_MS = 1_000
/** sockaddr_un's sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107

export interface LaunchContext {
  /** The program's own arguments (process.argv.slice(2)). */
  argv: string[]
  env: NodeJS.ProcessEnv
  /** The provider file Terraform started (process.argv[1]). */
  file: string
  execPath: string
  /** Node's flags for this process, the loader among them (packaging/executable.ts). */
  execArgv: string[]
  /** The launch's working directory, which the host inherits (relative paths in settings resolve there). */
  cwd: string
  /** Identifies the build: a host only serves launches of the build it runs. */
  buildId: string
  /** Whether the file's line 2 has the certificate-store settings (packaging/executable.ts). */
  certificateStoreLine: boolean
  uid: number
  /** Runs the provider in this process. */
  runProgram: () => void
}

/**
 * The host's socket for this launch, or undefined when the launch must run in-process. The name is a
 * digest of the build, the Node binary and flags, the working directory and the host's variables
 * (protocol.ts): launches that differ in any of them never share a host.
 */
export function hostSocketPath(context: Omit<LaunchContext, 'runProgram' | 'certificateStoreLine'>): string | undefined {
  if (context.argv.some((argument) => argument.startsWith('--'))) return undefined
  if (context.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return undefined
  if (idleMsFromEnvironment(context.env) === 0) return undefined
  if (!context.cwd) return undefined // the working directory is gone: nothing to name the host by
  const runtimeDir = context.env.XDG_RUNTIME_DIR
  const base = runtimeDir && isAbsolute(runtimeDir) ? runtimeDir : temporaryDirectory(context.env)
  // Short names: macOS's temporary folder alone is ≈50 bytes of the 103 a socket address holds there.
  const directory = join(base, `openc2c-${context.uid}`)
  if (!safeParent(base, context.uid) || !privateDirectory(directory, context.uid)) return undefined
  const hostVariables = Object.entries(splitEnvironment(context.env).host).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const identity = digest128(JSON.stringify([context.buildId, context.execPath, context.execArgv, context.cwd, hostVariables]))
  const path = join(directory, `${identity.slice(0, 24)}.sock`)
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES ? path : undefined
}

/**
 * os.tmpdir() of the launch's environment (the host works this out for launches it learns of through /proc,
 * from their environment rather than its own; doorbell.ts).
 */
export function temporaryDirectory(env: NodeJS.ProcessEnv): string {
  const path = env.TMPDIR || env.TMP || env.TEMP || '/tmp'
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}

/**
 * 128 bits of four FNV-1a lanes with different offsets, as 32 hex digits. Not node:crypto: loading it costs
 * a launch ≈3 ms (measured with --cpu-prof), and the name needs no secrecy, only that different
 * environments do not meet (the folder is private; see privateDirectory).
 */
export function digest128(text: string): string {
  // One pass, lanes in locals: this runs once per launch, in V8's interpreter (0.2 ms for 1.5 KB; a loop
  // over an array of lanes took 2 ms).
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  let c = 0x6c62272e
  let d = 0x1b873593
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    a = Math.imul(a ^ code, 0x01000193)
    b = Math.imul(b ^ code, 0x01002193)
    c = Math.imul(c ^ code, 0x01004193)
    d = Math.imul(d ^ code, 0x01006193)
  }
  return [a, b, c, d].map((lane) => (lane >>> 0).toString(16).padStart(8, '0')).join('')
}

/**
 * Nobody else may be able to swap the socket folder between our check and our connect: its parent must
 * belong to this user or to root, and others may write there only if the sticky bit keeps them from
 * renaming what is not theirs (as in /tmp).
 */
export function safeParent(parent: string, uid: number): boolean {
  try {
    const stats = lstatSync(parent)
    if (!stats.isDirectory() || (stats.uid !== uid && stats.uid !== 0)) return false
    return (stats.mode & 0o022) === 0 || (stats.mode & 0o1000) !== 0
  } catch {
    return false
  }
}

/**
 * The socket directory must be this user's alone: a directory (not a link) that the user owns and nobody
 * else can enter. Anyone who could connect to a host could run sessions with the host's environment, and
 * anyone who could place a socket there could receive a launch's credentials.
 */
export function privateDirectory(directory: string, uid: number): boolean {
  try {
    // Every launch after the first finds the folder: look before making it.
    let stats = lstatSync(directory, { throwIfNoEntry: false })
    if (!stats) {
      try {
        mkdirSync(directory, { mode: 0o700 })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false // EEXIST: another launch just made it
      }
      stats = lstatSync(directory)
    }
    return stats.isDirectory() && stats.uid === uid && (stats.mode & 0o077) === 0
  } catch {
    return false
  }
}

export function launch(context: LaunchContext): void {
  const socketPath = hostSocketPath(context)
  if (!socketPath) return context.runProgram()
  // The shell line may have made this launch's FIFO and then come here (no answer in time, or sent here):
  // the name is this process's, which exec kept (shell-launch.ts).
  rmSync(join(dirname(socketPath), `${process.pid}${LAUNCH_FIFO_SUFFIX}`), { force: true })
  // As in the in-process provider (main.ts): Terraform answers a terminal's Ctrl-C with StopProvider.
  process.on('SIGINT', () => {})
  // What the socket path held before this launch tried it, so that a host which took it over meanwhile is
  // not started a second time (startHost).
  const seen = socketIdentity(socketPath)
  openSession(socketPath, splitEnvironment(context.env).session, (reason) => {
    // No host yet, a dead one, or one that does not answer: this launch serves itself, and starts a host for
    // the launches after it (which takes the socket over from a stuck one).
    if (reason === 'no host' || reason === 'no answer') startHost(context, socketPath, seen)
    context.runProgram()
  })
}

/** One session with the host. `unavailable` is called at most once, and only before the handshake line. */
type Unavailable = 'no host' | 'no answer' | 'failed'

function openSession(socketPath: string, sessionEnv: Record<string, string>, unavailable: (reason: Unavailable) => void): void {
  const socket: Socket = connect(socketPath)
  let state: 'waiting' | 'serving' | 'done' = 'waiting'
  const giveUp = (reason: Unavailable): void => {
    if (state !== 'waiting') return
    state = 'done'
    clearTimeout(timer)
    socket.destroy()
    unavailable(reason)
  }
  const timer = setTimeout(() => giveUp('no answer'), ANSWER_TIMEOUT_MS)
  const request: SessionRequest = { env: sessionEnv }
  socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`))
  socket.on(
    'data',
    jsonLines((value) => {
      const message = value as { [K in HostMessageKey]?: unknown } | undefined
      if (state === 'waiting') {
        if (typeof message?.handshake === 'string') {
          state = 'serving'
          clearTimeout(timer)
          // Straight to fd 1: making process.stdout's stream object costs a launch ≈1 ms (measured), and
          // this one line is all the launch ever prints there.
          writeSync(1, `${message.handshake}\n`)
          // Terraform ends a launch with Shutdown; a SIGTERM from elsewhere ends it too (the host stops the
          // session when the socket closes).
          process.once('SIGTERM', () => process.exit(0))
        } else if (typeof message?.refuse === 'string') {
          state = 'done'
          clearTimeout(timer)
          writeSync(1, `${message.refuse}\n`)
          process.exit(1)
        } else {
          giveUp('failed')
        }
      } else if (state === 'serving') {
        if (typeof message?.log === 'string') process.stderr.write(`${message.log}\n`)
        else if (typeof message?.exit === 'number') {
          state = 'done'
          process.exit(message.exit)
        }
      }
    }),
  )
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (state === 'waiting') giveUp(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? 'no host' : 'failed')
  })
  socket.on('close', () => {
    if (state === 'waiting') giveUp('failed')
    else if (state === 'serving') {
      // The host went away mid-session: end the launch as a crashed provider would.
      const line = { '@level': 'error', '@message': 'the openc2c provider host ended this session unexpectedly', '@module': 'openc2c', '@timestamp': new Date().toISOString() }
      process.stderr.write(`${JSON.stringify(line)}\n`)
      process.exit(1)
    }
  })
}

type HostMessageKey = HostMessage extends infer M ? (M extends unknown ? keyof M : never) : never

/** The inode at a path, or undefined when there is nothing there. */
function socketIdentity(path: string): number | undefined {
  try {
    return lstatSync(path).ino
  } catch {
    return undefined
  }
}

/** A start claimed longer ago than this failed; the next launch may try again. */
const START_CLAIM_MS = 10_000

/** Claims the start of the host: the first launch to create the marker file starts it. */
export function claimStart(socketPath: string, now = Date.now()): boolean {
  const marker = `${socketPath}${STARTING_SUFFIX}`
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(marker, String(process.pid), { flag: 'wx', mode: 0o600 })
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false
      try {
        if (statSync(marker).mtimeMs > now - START_CLAIM_MS) return false
        rmSync(marker, { force: true })
      } catch {
        return false
      }
    }
  }
  return false
}

/**
 * Starts the host for this socket and leaves it: detached from the launch (its own session, so no signals
 * from the terminal), with no stdio shared with Terraform (whose plugin client waits for the launch's stdout
 * and stderr to close), and with the host's variables only (protocol.ts): no session variable, nothing
 * else of the launch's environment. The socket path goes in the environment, which only this user can read. The launch
 * does not wait for it: it boots on the other core while this launch's provider runs in-process.
 */
function startHost(context: LaunchContext, socketPath: string, seen: number | undefined): void {
  if (!claimStart(socketPath)) return
  // A host may have put its socket in place between this launch's attempt and its claim (it removes the
  // claim once it listens): then the start is not needed after all.
  if (socketIdentity(socketPath) !== seen) {
    rmSync(`${socketPath}${STARTING_SUFFIX}`, { force: true })
    return
  }
  try {
    // Required here, not at the top: only the launch that starts a host needs it (≈2.5 ms to load).
    const { spawn } = require('node:child_process') as typeof import('node:child_process')
    const child = spawn(context.execPath, [...context.execArgv, context.file, '--host'], {
      detached: true,
      stdio: 'ignore',
      cwd: context.cwd,
      env: {
        ...splitEnvironment(context.env).host,
        [HOST_SOCKET_VARIABLE]: socketPath,
        [HOST_BUILD_VARIABLE]: context.buildId,
        [HOST_STORE_LINE_VARIABLE]: context.certificateStoreLine ? '1' : '0',
      },
    })
    child.on('error', () => {})
    child.unref()
  } catch {
    // The launch runs in-process either way.
  }
}
