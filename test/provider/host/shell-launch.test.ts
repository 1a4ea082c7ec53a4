// The fast launch's shell line, run by /bin/sh against the host's doorbell (provider/host/doorbell.ts)
// played by the test: what the shell prints and how it exits for each thing the host may say, and when it
// goes on to Node instead (a probe program that says it ran). Linux only: the line needs /proc.

import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executableText } from '../../../provider/packaging/executable.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/plugin/handshake.js'
import { endLaunchFifo, openDoorbell, openLaunchFifo, sendFallback, type Doorbell } from '../../../provider/host/doorbell.js'
import { BELL_OWNER_SUFFIX, bellName, HOST_LINES } from '../../../provider/host/shell-launch.js'
import { waitFor } from '../helpers/wait-for.js'

const linux = process.platform === 'linux'
const uid = process.getuid?.() ?? -1
const BUILD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
const NODE_RAN = 'node ran'
const base = mkdtempSync(join(tmpdir(), 'openc2c-fast-'))
const directory = join(base, `openc2c-${uid}`)
const file = join(base, 'terraform-provider-openc2c')
// The launcher section only hands over to the probe program: anything Node prints here came from line 4.
writeFileSync(file, executableText(`process.stdout.write(${JSON.stringify(`${NODE_RAN}\n`)})`, '', { launcher: 'runProgram()', buildId: BUILD }), { mode: 0o755 })

interface Launch {
  pid: number
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
  signal: (name: NodeJS.Signals) => void
}

/** The shells the line is run by: the file's own /bin/sh (dash on Debian), and bash where it is installed
 * (/bin/sh on other systems). */
const SHELLS = ['/bin/sh', ...(spawnSync('bash', ['-c', ':']).status === 0 ? ['bash'] : [])]
let shell = '/bin/sh'

function launchShell(env: Record<string, string> = {}, args: string[] = []): Launch {
  const child = spawn(shell, [file, ...args], {
    env: { PATH: process.env.PATH ?? '', TMPDIR: base, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // 'close', not 'exit': everything the process wrote has been read by then.
  const exit = once(child, 'close').then(([code]) => code as number | null)
  return { pid: child.pid ?? -1, stdout: () => stdout, stderr: () => stderr, exit, signal: (name) => child.kill(name) }
}

let doorbell: Doorbell | undefined
/** The pids that rang, and what the test's host does with each. */
let rings: number[] = []
let onRing: (pid: number) => void = () => {}

function openBell(): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 })
  doorbell = openDoorbell(directory, BUILD, uid, (pid) => {
    rings.push(pid)
    onRing(pid)
  })
  doorbell.claim()
}

afterEach(() => {
  doorbell?.close()
  doorbell = undefined
  rings = []
  onRing = () => {}
  rmSync(directory, { recursive: true, force: true })
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

const HANDSHAKE = '1|6|tcp|127.0.0.1:40000|grpc|MIIB'

/** A launch the test's host has sent the handshake line to, once the shell has printed it. */
async function servedLaunch(): Promise<{ launch: Launch; fifo: NonNullable<ReturnType<typeof openLaunchFifo>> }> {
  openBell()
  let fifo: ReturnType<typeof openLaunchFifo>
  onRing = (pid) => {
    fifo = openLaunchFifo(directory, pid, uid)
    fifo?.write(`${HOST_LINES.handshake}${HANDSHAKE}\n`)
  }
  const launch = launchShell()
  await waitFor(() => launch.stdout() !== '', 'the handshake line')
  expect(launch.stdout()).toBe(`${HANDSHAKE}\n`)
  return { launch, fifo: fifo! }
}

describe.skipIf(!linux).each(SHELLS)('the fast launch line, run by %s', (runBy) => {
  beforeEach(() => {
    shell = runBy
  })

  it('prints the handshake line and the log lines the host sends, and exits as told, without starting Node', async () => {
    openBell()
    onRing = (pid) => {
      const fifo = openLaunchFifo(directory, pid, uid)!
      fifo.write(`${HOST_LINES.handshake}${HANDSHAKE}\n${HOST_LINES.log}{"@message":"a log line"}\n`)
      // After the handshake line only logs and the exit count: a late timer line changes nothing.
      fifo.write(`${HOST_LINES.fallback}\n${HOST_LINES.handshake}1|6|tcp|127.0.0.1:1|grpc|X\n`)
      endLaunchFifo(fifo, HOST_LINES.exit(1))
    }
    const launch = launchShell()
    expect(await launch.exit).toBe(1)
    expect(launch.stdout()).toBe(`${HANDSHAKE}\n`)
    expect(launch.stderr()).toBe('{"@message":"a log line"}\n')
    expect(rings).toEqual([launch.pid])
    // The host removed the FIFO's name when it opened it.
    expect(readdirSync(directory).filter((name) => name.endsWith('.fifo'))).toEqual([])
  })

  it('exits 0 after the session, and ignores Ctrl-C meanwhile (Terraform answers it with StopProvider)', async () => {
    const { launch, fifo } = await servedLaunch()
    launch.signal('SIGINT')
    await new Promise((resolve) => setTimeout(resolve, 100))
    endLaunchFifo(fifo, HOST_LINES.exit(0))
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${HANDSHAKE}\n`)
  })

  it('ends with an error when the host goes mid-session (its end of the FIFO closes), as a crashed provider would', async () => {
    openBell()
    onRing = (pid) => endLaunchFifo(openLaunchFifo(directory, pid, uid)!, `${HOST_LINES.handshake}${HANDSHAKE}`)
    const launch = launchShell()
    expect(await launch.exit).toBe(1)
    expect(launch.stdout()).toBe(`${HANDSHAKE}\n`)
    expect(JSON.parse(launch.stderr())).toMatchObject({ '@level': 'error', '@message': 'the openc2c provider host ended this session unexpectedly' })
  })

  it('exits 0 on SIGTERM once served, as the provider process does', async () => {
    const { launch, fifo } = await servedLaunch()
    launch.signal('SIGTERM')
    expect(await launch.exit).toBe(0)
    fifo.destroy()
  })

  it('goes on to Node when the host says fall back', async () => {
    openBell()
    onRing = (pid) => sendFallback(directory, pid, uid)
    const launch = launchShell()
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
    expect(rings).toEqual([launch.pid])
  })

  it('goes on to Node when the host does not answer (a stuck host), and takes the stuck owner’s name away', async () => {
    openBell()
    const owner = join(directory, `${bellName(BUILD)}${BELL_OWNER_SUFFIX}`)
    expect(existsSync(owner)).toBe(true)
    const launch = launchShell()
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
    expect(rings).toEqual([launch.pid])
    // Nobody reads the launch's FIFO any more: no late answer can reach it (the launcher removes its name).
    expect(openLaunchFifo(directory, launch.pid, uid)).toBeUndefined()
    // The launches after it do not ring a stuck host again...
    expect(existsSync(owner)).toBe(false)
    const next = launchShell()
    expect(await next.exit).toBe(0)
    expect(next.stdout()).toBe(`${NODE_RAN}\n`)
    expect(rings).toEqual([launch.pid])
    // ...until a live host claims the bell.
    doorbell?.claim()
    expect(existsSync(owner)).toBe(true)
  })

  it('leaves an owner’s name that changed while it waited', async () => {
    openBell()
    const owner = join(directory, `${bellName(BUILD)}${BELL_OWNER_SUFFIX}`)
    onRing = () => writeFileSync(owner, '1\n') // another live host took the bell over meanwhile
    const launch = launchShell()
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
    expect(existsSync(owner)).toBe(true)
  })

  it('does not ring a bell whose owner is gone, nor without a bell', async () => {
    openBell()
    writeFileSync(join(directory, `${bellName(BUILD)}${BELL_OWNER_SUFFIX}`), '2147483646\n') // no such process
    const launch = launchShell()
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
    doorbell?.close()
    const noBell = launchShell()
    expect(await noBell.exit).toBe(0)
    expect(noBell.stdout()).toBe(`${NODE_RAN}\n`)
    expect(rings).toEqual([])
    expect(readdirSync(directory).filter((name) => name.endsWith('.fifo'))).toEqual([])
  })

  it.each<[string, Record<string, string>, string[]]>([
    ['no magic cookie', { [MAGIC_COOKIE_KEY]: 'not-terraform' }, []],
    ['arguments (--version, --debug)', {}, ['--version']],
    ['the host turned off', { OPENC2C_PROVIDER_HOST: 'off' }, []],
    ['another folder (XDG_RUNTIME_DIR)', { XDG_RUNTIME_DIR: '/nonexistent-runtime-dir' }, []],
  ])('goes straight to Node with %s', async (_, env, args) => {
    openBell()
    const launch = launchShell(env, args)
    expect(await launch.exit).toBe(0)
    expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
    expect(rings).toEqual([])
  })

  it('does not use a folder that is a link to another', async () => {
    mkdirSync(`${directory}-real`, { mode: 0o700 })
    symlinkSync(`${directory}-real`, directory)
    doorbell = openDoorbell(`${directory}-real`, BUILD, uid, (pid) => rings.push(pid))
    doorbell.claim()
    try {
      const launch = launchShell()
      expect(await launch.exit).toBe(0)
      expect(launch.stdout()).toBe(`${NODE_RAN}\n`)
      expect(rings).toEqual([])
    } finally {
      rmSync(`${directory}-real`, { recursive: true, force: true })
    }
  })

  it('hands each of many concurrent launches its own session', async () => {
    openBell()
    onRing = (pid) => endLaunchFifo(openLaunchFifo(directory, pid, uid)!, `${HOST_LINES.handshake}handshake-of-${pid}\n${HOST_LINES.exit(0)}`)
    const launches = Array.from({ length: 20 }, () => launchShell())
    expect(await Promise.all(launches.map((launch) => launch.exit))).toEqual(launches.map(() => 0))
    for (const launch of launches) expect(launch.stdout()).toBe(`handshake-of-${launch.pid}\n`)
    expect([...rings].sort()).toEqual(launches.map((launch) => launch.pid).sort())
  })

  it('gives the bell up on close only while it is still this host’s', () => {
    openBell()
    const bell = join(directory, `${bellName(BUILD)}.bell`)
    const owner = join(directory, `${bellName(BUILD)}${BELL_OWNER_SUFFIX}`)
    expect(existsSync(bell) && existsSync(owner)).toBe(true)
    writeFileSync(owner, '1\n') // another (live) host took it over
    doorbell?.close()
    expect(existsSync(bell) && existsSync(owner)).toBe(true)
  })
})
