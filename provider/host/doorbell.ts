// The host's side of the fast launch (shell-launch.ts says what the shell does and why): the doorbell a
// launch rings with its pid, what the host reads about that launch from /proc, and the launch's FIFO that
// the session then talks through. Linux only; without /proc or mkfifo a host has no doorbell and every
// launch goes through launcher.ts.
//
// All hosts of one build share one doorbell (a shell line cannot work out which host a launch belongs to:
// that takes launcher.ts's digest of the environment). The host that owns the bell reads each ringing
// launch's environment and working directory, names the host that launcher.ts would have asked, and hands
// the launch to that host over its socket when it is not itself (AdoptRequest). A launch nobody running can
// serve is told to fall back, and launcher.ts then starts the host it needs.

import { execFileSync } from 'node:child_process'
import { accessSync, closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { Socket } from 'node:net'
import { join, resolve } from 'node:path'
import { afterCertificateStoreLine } from '../packaging/executable.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../plugin/handshake.js'
import { hostSocketPath } from './launcher.js'
import { isHostVariable, isSessionVariable, splitEnvironment } from './protocol.js'
import { BELL_OWNER_SUFFIX, BELL_SUFFIX, bellName, HOST_LINES, LAUNCH_FIFO_SUFFIX } from './shell-launch.js'

/** What a host knows of itself that a launch's host name is made of (launcher.ts hostSocketPath). */
export interface HostIdentity {
  socketPath: string
  buildId: string
  /** Whether the provider file's line 2 has the certificate-store settings (packaging/executable.ts). */
  certificateStoreLine: boolean
  /** The host's Node flags: launcher.ts starts the host with its own, the certificate-store flag first. */
  execArgv: string[]
  uid: number
}

/** A launch that rang: its session variables, and the socket of the host launcher.ts would have asked. */
export interface RingingLaunch {
  pid: number
  sessionEnv: Record<string, string>
  /** undefined: launcher.ts would have run this launch in-process. */
  socketPath: string | undefined
  /** Names this process (processMark), to tell it from a later one with the same pid. */
  mark: string
}

/**
 * A process's command name and start time (/proc/<pid>/stat), or undefined when it has exited. A pid can be
 * reused, a start time cannot; the command name changes when the shell gives way to Node (exec).
 */
export function processMark(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const close = stat.lastIndexOf(')')
    const fields = stat.slice(close + 2).split(' ')
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined
    return `${stat.slice(stat.indexOf('(') + 1, close)}:${fields[19] ?? ''}`
  } catch {
    return undefined
  }
}

/** Besides the session's and the host's variables (protocol.ts), what naming a launch's host reads. */
const NAMING_VARIABLES = new Set(['PATH', 'XDG_RUNTIME_DIR', 'TMPDIR', 'TMP', 'TEMP'])

/**
 * The variables of a launch's environment, as Terraform started its shell, that the host needs: the session
 * variables and what names the host. Everything else (cloud credentials, TF_VAR_*, tokens) is skipped
 * undecoded, and the raw copy is zeroed: none of it stays in the host. The first of a repeated name wins, as
 * with getenv.
 */
export function launchEnvironment(pid: number): NodeJS.ProcessEnv {
  const raw = readFileSync(`/proc/${pid}/environ`)
  const env: NodeJS.ProcessEnv = {}
  try {
    for (let start = 0; start < raw.length; ) {
      let end = raw.indexOf(0, start)
      if (end < 0) end = raw.length
      const equals = raw.indexOf(0x3d, start)
      if (equals > start && equals < end) {
        const name = raw.toString('utf8', start, equals)
        if (!(name in env) && (isSessionVariable(name) || isHostVariable(name) || NAMING_VARIABLES.has(name))) env[name] = raw.toString('utf8', equals + 1, end)
      }
      start = end + 1
    }
  } finally {
    raw.fill(0)
  }
  return env
}

/** The `node` the shell's `exec node` would run, as Node reports its own path (symbolic links resolved). */
export function nodeOnPath(path: string | undefined, cwd: string): string | undefined {
  if (path === undefined) return undefined
  for (const directory of path.split(':')) {
    const candidate = resolve(cwd, directory || '.', 'node')
    try {
      if (!statSync(candidate).isFile()) continue
      accessSync(candidate, constants.X_OK)
      return realpathSync(candidate)
    } catch {
      // not here: the shell looks in the next directory too
    }
  }
  return undefined
}

/**
 * Reads a ringing launch from /proc: undefined unless it is a Terraform launch (the magic cookie) that is still
 * running. Its host is named exactly as launcher.ts would name it from inside the launch: the environment
 * after line 2, the `node` on its PATH, the loader's flags and its working directory.
 */
export function inspectLaunch(pid: number, identity: HostIdentity): RingingLaunch | undefined {
  try {
    const mark = processMark(pid)
    const started = launchEnvironment(pid)
    if (!mark || started[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return undefined
    let cwd = readlinkSync(`/proc/${pid}/cwd`)
    if (cwd.endsWith(' (deleted)')) cwd = '' // launcher.ts runs such a launch in-process
    const { env, flags } = afterCertificateStoreLine(started, identity.certificateStoreLine)
    const execPath = nodeOnPath(env.PATH, cwd)
    const loaderArgv = identity.execArgv[0] === '--use-openssl-ca' ? identity.execArgv.slice(1) : identity.execArgv
    const socketPath = execPath && cwd ? hostSocketPath({ argv: [], env, file: '', execPath, execArgv: [...flags, ...loaderArgv], cwd, buildId: identity.buildId, uid: identity.uid }) : undefined
    return { pid, sessionEnv: splitEnvironment(env).session, socketPath, mark }
  } catch {
    return undefined
  }
}

/**
 * The launch's FIFO, opened for writing and its name removed; undefined when it is not there or not a FIFO
 * of this user's, or when nobody reads it any more (the shell gave up: ENXIO). Never blocks. It must also be
 * the FIFO that process `pid` holds as descriptor 3 (shell-launch.ts): a pid names another process in
 * another pid namespace sharing the folder, or after the launch ended; such a launch is sent to Node.
 */
export function openLaunchFifo(directory: string, pid: number, uid: number): Socket | undefined {
  const path = join(directory, `${pid}${LAUNCH_FIFO_SUFFIX}`)
  let fd: number
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  const stats = fstatSync(fd)
  if (!stats.isFIFO() || stats.uid !== uid) {
    closeSync(fd)
    return undefined
  }
  rmSync(path, { force: true })
  if (!heldBy(pid, stats)) {
    try {
      writeSync(fd, `${HOST_LINES.fallback}\n`)
    } catch {
      // the reader went meanwhile
    }
    closeSync(fd)
    return undefined
  }
  return new Socket({ fd, readable: false, writable: true })
}

function heldBy(pid: number, fifo: { dev: number; ino: number }): boolean {
  try {
    const held = statSync(`/proc/${pid}/fd/3`)
    return held.dev === fifo.dev && held.ino === fifo.ino
  } catch {
    return false
  }
}

/** Writes the last line and closes the FIFO. A pipe's `end()` alone leaves the descriptor open, and the
 * shell reads until every writer has closed its end. */
export function endLaunchFifo(fifo: Socket, lastLine: string): void {
  fifo.end(`${lastLine}\n`, () => fifo.destroy())
}

/** Tells a launch to start Node (its FIFO may be gone already: then it has). */
export function sendFallback(directory: string, pid: number, uid: number): void {
  const fifo = openLaunchFifo(directory, pid, uid)
  if (fifo) endLaunchFifo(fifo, HOST_LINES.fallback)
}

export interface Doorbell {
  /** Takes the bell when no live host owns it (at start, and again now and then: an owner that exits or
   * that a launch found stuck leaves it to whichever host claims it next). */
  claim(): void
  /** Gives the bell up if it is still this host's: its name goes, and the launches that rang meanwhile are
   * sent to Node. The FIFO itself stays, for the next owner. */
  close(): void
}

/** Rings arrive as pids, one per line. */
export function openDoorbell(directory: string, buildId: string, uid: number, onRing: (pid: number) => void): Doorbell {
  const bell = join(directory, `${bellName(buildId)}${BELL_SUFFIX}`)
  const owner = join(directory, `${bellName(buildId)}${BELL_OWNER_SUFFIX}`)
  const ownMark = processMark(process.pid)
  let reader: { socket: Socket; fd: number } | undefined
  let buffered = ''

  /** The pids of the whole lines read so far; a partial line waits for the rest. */
  const takePids = (chunk: string): number[] => {
    const lines = (buffered + chunk).split('\n')
    buffered = lines.pop() ?? ''
    if (buffered.length > 64) buffered = '' // not a pid: nothing a launch writes
    return lines.filter((line) => /^[1-9]\d{0,9}$/.test(line)).map(Number)
  }

  /** The owner's pid and mark (processMark): a pid alone could be a later process's. */
  const currentOwner = (): { pid: number; mark: string } | undefined => {
    try {
      const [pid, mark] = readFileSync(owner, 'utf8').split('\n')
      return /^[1-9]\d*$/.test(pid ?? '') ? { pid: Number(pid), mark: mark ?? '' } : undefined
    } catch {
      return undefined
    }
  }

  const claim = (): void => {
    const current = currentOwner()
    if (current?.pid === process.pid && reader && !reader.socket.destroyed) return
    if (current && current.pid !== process.pid && processMark(current.pid) === current.mark) return
    try {
      const stats = lstatSync(bell, { throwIfNoEntry: false })
      if (!stats?.isFIFO() || stats.uid !== uid) {
        rmSync(bell, { force: true })
        execFileSync('mkfifo', ['-m', '600', bell], { stdio: 'ignore' })
      }
      // Read-write: a FIFO open for reading sees end-of-file whenever no launch holds it open for writing.
      const fd = openSync(bell, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW)
      reader?.socket.destroy()
      const socket = new Socket({ fd, readable: true, writable: false })
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => takePids(chunk).forEach((pid) => onRing(pid)))
      socket.on('error', () => socket.destroy())
      reader = { socket, fd }
      sweepLaunchFifos(directory)
      // The name goes in last, renamed into place whole: a launch rings only once it names a live host.
      writeFileSync(`${owner}.${process.pid}`, `${process.pid}\n${ownMark}\n`, { mode: 0o600 })
      renameSync(`${owner}.${process.pid}`, owner)
    } catch {
      reader?.socket.destroy()
      reader = undefined
    }
  }

  return {
    claim,
    close() {
      if (!reader) return
      if (currentOwner()?.pid === process.pid) rmSync(owner, { force: true })
      // Rings already in the pipe would otherwise wait out the shell's timer.
      const chunk = Buffer.alloc(4096)
      const pids: number[] = []
      for (;;) {
        let read = 0
        try {
          read = readSync(reader.fd, chunk)
        } catch {
          break // EAGAIN: nothing left
        }
        if (read <= 0) break
        pids.push(...takePids(chunk.toString('latin1', 0, read)))
      }
      buffered = ''
      reader.socket.destroy()
      reader = undefined
      for (const pid of pids) sendFallback(directory, pid, uid)
      sweepLaunchFifos(directory)
    },
  }
}

/** FIFOs of launches that ended before any host opened them (the shell was killed while it waited, or
 * the launch went to Node without a host in reach to remove the name). */
function sweepLaunchFifos(directory: string): void {
  let names: string[] = []
  try {
    names = readdirSync(directory)
  } catch {
    return // the folder is gone
  }
  for (const name of names) {
    const match = /^(\d+)(\.\w+)$/.exec(name)
    if (match?.[2] !== LAUNCH_FIFO_SUFFIX) continue
    if (processMark(Number(match[1])) === undefined) rmSync(join(directory, name), { force: true })
  }
}
