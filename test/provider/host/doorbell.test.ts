// The host's side of the fast launch (provider/host/doorbell.ts): what it reads about a ringing launch from
// /proc, the host it names for it (as launcher.ts would from inside the launch), and the launch's FIFO.
// Linux only: /proc.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { afterCertificateStoreLine } from '../../../provider/packaging/executable.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/plugin/handshake.js'
import { inspectLaunch, launchEnvironment, nodeOnPath, openLaunchFifo, processMark, type HostIdentity } from '../../../provider/host/doorbell.js'
import { hostSocketPath } from '../../../provider/host/launcher.js'
import { waitFor } from '../helpers/wait-for.js'

const linux = process.platform === 'linux'
const uid = process.getuid?.() ?? -1
const root = mkdtempSync(join(tmpdir(), 'openc2c-doorbell-'))
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  rmSync(root, { recursive: true, force: true })
})

const LOADER = ['--input-type=commonjs', '-e', 'the loader']
const identity = (certificateStoreLine = true): HostIdentity => ({
  socketPath: '',
  buildId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  certificateStoreLine,
  execArgv: certificateStoreLine ? ['--use-openssl-ca', ...LOADER] : LOADER,
  uid,
})

/** A process started with exactly `env` in `cwd`, as Terraform starts the shell. */
function startProcess(env: Record<string, string>, cwd = root, command = 'sleep 30'): ChildProcess {
  const child = spawn('/bin/sh', ['-c', command], { env, cwd, stdio: 'ignore' })
  children.push(child)
  return child
}

describe.skipIf(!linux)('the doorbell side of a fast launch', () => {
  const runtimeDir = join(root, 'runtime')
  mkdirSync(runtimeDir, { mode: 0o700 })
  const launchEnv = {
    PATH: process.env.PATH ?? '',
    XDG_RUNTIME_DIR: runtimeDir,
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_CLIENT_CERT: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    OPENC2C_ACCESS_KEY: 'the key',
    NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem',
    AWS_SECRET_ACCESS_KEY: 'not for the host',
  }

  it('reads the launch’s session variables and names the host launcher.ts would have asked', async () => {
    const child = startProcess(launchEnv)
    await waitFor(() => processMark(child.pid!) !== undefined, 'the process')
    const seen = inspectLaunch(child.pid!, identity())
    expect(seen?.sessionEnv).toEqual({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_CLIENT_CERT: launchEnv.PLUGIN_CLIENT_CERT, OPENC2C_ACCESS_KEY: 'the key' })
    const node = realpathSync(nodeOnPath(launchEnv.PATH, root)!)
    const expected = hostSocketPath({
      argv: [],
      env: afterCertificateStoreLine(launchEnv, true).env,
      file: '',
      execPath: node,
      execArgv: ['--use-openssl-ca', ...LOADER],
      cwd: realpathSync(root),
      buildId: identity().buildId,
      uid,
    })
    expect(seen?.socketPath).toBe(expected)
    expect(expected).toMatch(/\.sock$/)
  })

  it('keeps only the session variables and what names the host from a launch’s environment', async () => {
    const child = startProcess({ ...launchEnv, TF_VAR_password: 'not for the host', TMPDIR: '/var/tmp', NODE_OPTIONS: '--no-warnings' })
    await waitFor(() => processMark(child.pid!) !== undefined, 'the process')
    expect(launchEnvironment(child.pid!)).toEqual({
      PATH: launchEnv.PATH,
      XDG_RUNTIME_DIR: runtimeDir,
      TMPDIR: '/var/tmp',
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_CLIENT_CERT: launchEnv.PLUGIN_CLIENT_CERT,
      OPENC2C_ACCESS_KEY: 'the key',
      NODE_EXTRA_CA_CERTS: '/etc/my-ca.pem',
      NODE_OPTIONS: '--no-warnings',
    })
  })

  it('names the folder from the launch’s temporary directory when it has no XDG_RUNTIME_DIR', async () => {
    const temporary = join(root, 'tmp')
    mkdirSync(temporary, { mode: 0o700 })
    const { XDG_RUNTIME_DIR: _, ...withoutRuntimeDir } = launchEnv
    const child = startProcess({ ...withoutRuntimeDir, TMPDIR: `${temporary}/` })
    await waitFor(() => processMark(child.pid!) !== undefined, 'the process')
    expect(inspectLaunch(child.pid!, identity())?.socketPath).toMatch(new RegExp(`^${temporary}/openc2c-${uid}/[0-9a-f]{24}\\.sock$`))
  })

  it('names different hosts for launches that differ in settings, folder or build', async () => {
    const other = join(root, 'other')
    mkdirSync(other, { recursive: true })
    const base = startProcess(launchEnv)
    const chosenStore = startProcess({ ...launchEnv, NODE_OPTIONS: '--use-bundled-ca' })
    const elsewhere = startProcess(launchEnv, other)
    await waitFor(() => [base, chosenStore, elsewhere].every((child) => processMark(child.pid!) !== undefined), 'the processes')
    const paths = [
      inspectLaunch(base.pid!, identity())?.socketPath,
      inspectLaunch(chosenStore.pid!, identity())?.socketPath,
      inspectLaunch(elsewhere.pid!, identity())?.socketPath,
      inspectLaunch(base.pid!, { ...identity(), buildId: 'ffffffffffffffffffffffffffffffff' })?.socketPath,
      inspectLaunch(base.pid!, identity(false))?.socketPath,
    ]
    expect(paths.every((path) => path?.endsWith('.sock'))).toBe(true)
    expect(new Set(paths).size).toBe(paths.length)
  })

  it('does not take a process without the magic cookie, nor one that has exited', async () => {
    const stranger = startProcess({ ...launchEnv, [MAGIC_COOKIE_KEY]: 'something else' })
    await waitFor(() => processMark(stranger.pid!) !== undefined, 'the process')
    expect(inspectLaunch(stranger.pid!, identity())).toBeUndefined()
    const gone = spawnSync('/bin/sh', ['-c', 'echo $$'], { env: launchEnv, encoding: 'utf8' })
    expect(inspectLaunch(Number(gone.stdout.trim()), identity())).toBeUndefined()
  })

  it('tells the shell from what it became by exec (same pid, same start time), and from a process gone', async () => {
    const child = startProcess(launchEnv, root, 'sleep 0.3; exec sleep 30')
    await waitFor(() => processMark(child.pid!) !== undefined, 'the process')
    const before = processMark(child.pid!) as string
    expect(before).toMatch(/^sh:\d+$/)
    await waitFor(() => processMark(child.pid!)?.startsWith('sleep:') === true, 'the exec')
    expect(processMark(child.pid!)).toBe(`sleep:${before.split(':')[1]}`)
    child.kill('SIGKILL')
    await waitFor(() => processMark(child.pid!) === undefined, 'the process to go')
  })

  it('finds the node the shell would run: first executable file on PATH, empty entries meaning the working directory, links resolved', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => join(root, 'path', name)) as [string, string, string]
    for (const dir of [a, b, c]) mkdirSync(dir, { recursive: true })
    writeFileSync(join(a, 'node'), 'not executable')
    chmodSync(join(a, 'node'), 0o644)
    mkdirSync(join(b, 'node')) // a directory named node
    writeFileSync(join(root, 'path', 'real-node'), '#!/bin/sh\n', { mode: 0o755 })
    symlinkSync(join(root, 'path', 'real-node'), join(c, 'node'))
    expect(nodeOnPath(`${a}:${b}:${c}`, root)).toBe(realpathSync(join(root, 'path', 'real-node')))
    expect(nodeOnPath(`${a}::/nonexistent`, c)).toBe(realpathSync(join(root, 'path', 'real-node')))
    expect(nodeOnPath(`${a}:${b}`, root)).toBeUndefined()
    expect(nodeOnPath(undefined, root)).toBeUndefined()
  })

  it('opens only a FIFO of this user’s that the launch is reading, and removes its name', () => {
    const folder = join(root, 'fifos')
    mkdirSync(folder, { mode: 0o700 })
    writeFileSync(join(folder, '101.fifo'), 'a regular file')
    expect(openLaunchFifo(folder, 101, uid)).toBeUndefined()
    expect(spawnSync('mkfifo', ['-m', '600', join(folder, '102.fifo')]).status).toBe(0)
    expect(openLaunchFifo(folder, 102, uid)).toBeUndefined() // nobody reads it: the launch gave up
    expect(openLaunchFifo(folder, 103, uid)).toBeUndefined()
  })
})
