// The built provider file with its resident host, launched the way Terraform launches it: which process
// serves a launch, what the host holds, and what happens when either side dies. Linux only: hosts are
// found through /proc.

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { builtProvider, type BuiltProvider } from '../helpers/built-provider.js'
import { call, clientCertificate, closePluginClients, connectPlugin, launchProvider, type PluginConnection } from '../helpers/plugin-client.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/plugin/handshake.js'
import { residentHosts, stopResidentHosts, type HostProcess } from '../helpers/resident-hosts.js'
import { waitFor } from '../helpers/wait-for.js'

const linux = process.platform === 'linux'
let built: BuiltProvider
const markers: string[] = []
/** Sockets of hosts the tests kill, which leave them behind. */
const sockets = new Set<string>()

/** Host processes started for launches that carried `marker` (a host variable, so each test has its own). */
const hostsFor = (marker: string): HostProcess[] => residentHosts('OPENC2C_TEST_HOST', marker)

function newMarker(): string {
  const marker = randomUUID()
  markers.push(marker)
  return marker
}

/** The process listening on a loopback TCP port (from /proc/net/tcp and the processes' open sockets). */
function listenerOf(port: number, candidates: number[]): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A') inodes.add(fields[9] ?? '')
  }
  for (const pid of candidates) {
    let fds: string[] = []
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // the process has exited
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (match && inodes.has(match[1] ?? '')) return pid
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
    .map(Number)
}

const portOf = (plugin: PluginConnection): number => Number(plugin.handshake.address.split(':').pop())

/** A first launch starts the host in the background and serves itself; wait until the host listens. */
async function warmHost(env: NodeJS.ProcessEnv): Promise<HostProcess> {
  const first = await launchProvider(built.executable, { env })
  expect(listenerOf(portOf(first), [first.child.pid!])).toBe(first.child.pid)
  await first.shutdown()
  const marker = env.OPENC2C_TEST_HOST as string
  await waitFor(() => hostsFor(marker).length === 1, 'the host to start')
  const [host] = hostsFor(marker) as [HostProcess]
  sockets.add(host.socketPath)
  await waitFor(() => existsSync(host.socketPath) && !existsSync(`${host.socketPath}.starting`), 'the host to listen')
  return host
}

/** A launch the running `host` serves: its provider answers, and the session's server is the host's. */
async function hostServedLaunch(env: NodeJS.ProcessEnv, host: HostProcess): Promise<PluginConnection> {
  const plugin = await launchProvider(built.executable, { env })
  await schemaWorks(plugin)
  expect(listenerOf(portOf(plugin), [plugin.child.pid!, host.pid])).toBe(host.pid)
  return plugin
}

/** The launched process is still the shell Terraform started: the shell line's fast launch served it
 * (provider/host/shell-launch.ts); a launch that went on to Node would show node's command line. */
function expectServedByShell(plugin: PluginConnection): void {
  expect(readFileSync(`/proc/${plugin.child.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('/bin/sh')
}

/** Stops the hosts `marker`'s launches started, and waits until they are gone (before their folder goes). */
async function stopHostsOf(marker: string): Promise<void> {
  stopResidentHosts(hostsFor(marker))
  await waitFor(() => hostsFor(marker).length === 0, 'the host to stop')
}

/** Starts the host for `marker`, kills it and leaves something else listening on its socket instead. */
async function listenInPlaceOfHost(marker: string, answer: (socket: Socket) => void): Promise<Server> {
  const host = await warmHost({ OPENC2C_TEST_HOST: marker })
  process.kill(host.pid, 'SIGKILL')
  await waitFor(() => hostsFor(marker).length === 0, 'the host to die')
  rmSync(host.socketPath, { force: true })
  const server = createServer(answer)
  await new Promise<void>((resolve) => server.listen(host.socketPath, resolve))
  return server
}

/** A launch that is expected to end before a handshake: its exit code and what it printed on stdout. */
async function launchOnce(marker: string, protocolVersions: string): Promise<{ code: number; stdout: string }> {
  const child = spawn(built.executable, [], {
    env: { ...process.env, OPENC2C_TEST_HOST: marker, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: protocolVersions, PLUGIN_CLIENT_CERT: clientCertificate().certificatePem },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number]
  return { code, stdout }
}

async function schemaWorks(plugin: PluginConnection): Promise<void> {
  const schema = await call<{ resource_schemas?: Record<string, unknown> }>(plugin.provider, 'GetProviderSchema', {})
  expect(Object.keys(schema.resource_schemas ?? {})).toContain('openc2c_chatgpt_compliance_source')
}

beforeAll(async () => {
  built = await builtProvider()
})

afterAll(() => {
  // Hosts these tests left behind would otherwise idle for a minute.
  for (const marker of markers) stopResidentHosts(hostsFor(marker))
  for (const socket of sockets) rmSync(socket, { force: true })
})

describe.skipIf(!linux)('resident provider host (built provider)', () => {
  it('serves launches after the first from one host, which holds none of their session variables', async () => {
    const marker = newMarker()
    const env = { OPENC2C_TEST_HOST: marker, OPENC2C_ACCESS_KEY: 'launch-secret', TF_LOG: 'warn', NODE_EXTRA_CA_CERTS: '/etc/some-ca.pem', AWS_SECRET_ACCESS_KEY: 'unrelated-secret', TF_VAR_password: 'tf-var' }
    const host = await warmHost(env)
    for (let i = 0; i < 3; i++) {
      const plugin = await hostServedLaunch(env, host)
      expect(await plugin.shutdown()).toEqual({ code: 0, signal: null })
    }
    expect(hostsFor(marker).map((h) => h.pid)).toEqual([host.pid])
    for (const name of ['OPENC2C_ACCESS_KEY', 'PLUGIN_CLIENT_CERT', 'TF_PLUGIN_MAGIC_COOKIE', 'PLUGIN_PROTOCOL_VERSIONS', 'TF_LOG', 'AWS_SECRET_ACCESS_KEY', 'TF_VAR_password', 'PATH']) {
      expect(host.env.has(name), name).toBe(false)
    }
    // Its socket is named in its environment, which only this user can read, not in its arguments.
    expect(host.env.get('OPENC2C_PROVIDER_HOST_SOCKET')).toMatch(/\.sock$/)
    expect(host.argv.join(' ')).not.toContain('.sock')
    // The host runs as the launched provider would have: the provider file's certificate-store settings
    // (packaging/executable.ts; left out of builds made by a Node that trusts OpenSSL's store) reach it too.
    if (readFileSync(built.executable, 'utf8').split('\n')[1]?.includes('--use-openssl-ca')) {
      expect(host.argv).toContain('--use-openssl-ca')
      expect(host.env.get('OPENC2C_NODE_EXTRA_CA_CERTS')).toBe('/etc/some-ca.pem')
      expect(host.env.has('NODE_EXTRA_CA_CERTS')).toBe(false)
    } else {
      expect(host.env.get('NODE_EXTRA_CA_CERTS')).toBe('/etc/some-ca.pem')
    }
  })

  it('serves a launch from the shell line when a host runs: Node never starts in the launched process', async () => {
    const marker = newMarker()
    const env = { OPENC2C_TEST_HOST: marker }
    const host = await warmHost(env)
    const plugin = await hostServedLaunch(env, host)
    // The launched process is still the shell Terraform started (shell-launch.ts), and nothing runs under it.
    expectServedByShell(plugin)
    expect(childrenOf(plugin.child.pid!).map((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim())).not.toContain('node')
    expect(await plugin.shutdown()).toEqual({ code: 0, signal: null })
  })

  it("hands a launch that rang another host's doorbell over to its own host", async () => {
    // Two hosts of one build (different settings) share one doorbell, which only one of them reads.
    const [first, second] = [newMarker(), newMarker()]
    const hosts = [await warmHost({ OPENC2C_TEST_HOST: first }), await warmHost({ OPENC2C_TEST_HOST: second })]
    // The bell's owner (named on line 3 of the file) is not the second host, which the first one outlives.
    const bell = /"\$d\/([0-9a-f]{24})\.bell"/.exec(readFileSync(built.executable, 'utf8').split('\n')[2] ?? '')?.[1]
    const owner = Number(readFileSync(join(dirname(hosts[1]!.socketPath), `${bell}.host`), 'utf8'))
    expect(owner).not.toBe(hosts[1]!.pid)
    for (const [index, marker] of [first, second].entries()) {
      const plugin = await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, hosts[index] as HostProcess)
      expectServedByShell(plugin)
      expect(await plugin.shutdown()).toEqual({ code: 0, signal: null })
    }
  })

  it('serves fast launches in a temporary directory of the launch’s own (TMPDIR, no XDG_RUNTIME_DIR)', async () => {
    const marker = newMarker()
    const temporary = mkdtempSync(join(tmpdir(), 'openc2c-tmpdir-'))
    try {
      const env = { OPENC2C_TEST_HOST: marker, TMPDIR: temporary, XDG_RUNTIME_DIR: '' }
      const host = await warmHost(env)
      expect(host.socketPath.startsWith(`${temporary}/openc2c-`)).toBe(true)
      const plugin = await hostServedLaunch(env, host)
      expectServedByShell(plugin)
      expect(await plugin.shutdown()).toEqual({ code: 0, signal: null })
    } finally {
      await stopHostsOf(marker)
      rmSync(temporary, { recursive: true, force: true })
    }
  })

  it('runs the provider in the launched process with OPENC2C_PROVIDER_HOST=off, and starts no host', async () => {
    const marker = newMarker()
    for (let i = 0; i < 2; i++) {
      const plugin = await launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker, OPENC2C_PROVIDER_HOST: 'off' } })
      await schemaWorks(plugin)
      expect(listenerOf(portOf(plugin), [plugin.child.pid!])).toBe(plugin.child.pid)
      expect(await plugin.shutdown()).toEqual({ code: 0, signal: null })
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(hostsFor(marker)).toEqual([])
  })

  it('starts one host when several launches find none at once', async () => {
    const marker = newMarker()
    const seen = new Set<number>()
    const watch = setInterval(() => hostsFor(marker).forEach((host) => seen.add(host.pid)), 10)
    try {
      const plugins = await Promise.all(Array.from({ length: 4 }, () => launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker } })))
      for (const plugin of plugins) await schemaWorks(plugin)
      await Promise.all(plugins.map((plugin) => plugin.shutdown()))
      await waitFor(() => hostsFor(marker).length === 1, 'the host to start')
      await new Promise((resolve) => setTimeout(resolve, 500))
    } finally {
      clearInterval(watch)
    }
    // Every host that ever ran, not only those still running: a second one would retire within seconds.
    expect(seen.size).toBe(1)
  })

  it('starts a new host when the last one was killed, over its stale socket', async () => {
    const marker = newMarker()
    const old = await warmHost({ OPENC2C_TEST_HOST: marker })
    process.kill(old.pid, 'SIGKILL')
    await waitFor(() => hostsFor(marker).length === 0, 'the host to die')
    expect(existsSync(old.socketPath)).toBe(true)

    // The next launch finds a dead socket: it serves itself and starts a new host.
    const next = await launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker } })
    await schemaWorks(next)
    expect(listenerOf(portOf(next), [next.child.pid!])).toBe(next.child.pid)
    await next.shutdown()
    await waitFor(() => hostsFor(marker).length === 1, 'a new host')
    const [now] = hostsFor(marker) as [HostProcess]
    expect(now.pid).not.toBe(old.pid)
    await waitFor(() => !existsSync(`${now.socketPath}.starting`), 'the new host to listen')
    await (await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, now)).shutdown()
  })

  it('ends a launch with an error when its host dies mid-session', async () => {
    const marker = newMarker()
    const host = await warmHost({ OPENC2C_TEST_HOST: marker })
    const plugin = await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, host)
    process.kill(host.pid, 'SIGKILL')
    expect(await plugin.exit).toEqual({ code: 1, signal: null })
    await waitFor(() => plugin.stderr.some((line) => line.includes('ended this session unexpectedly')), 'the error line')
    plugin.kill()
  })

  it('ends the session of a launch that was killed: its server stops answering', async () => {
    const marker = newMarker()
    const host = await warmHost({ OPENC2C_TEST_HOST: marker })
    const plugin = await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, host)
    // A second connection with the launch's certificate is served while the launch lives...
    const before = connectPlugin(plugin.handshakeLine, plugin.client)
    await expect(call(before.health, 'Check', { service: 'plugin' })).resolves.toBeDefined()
    closePluginClients(before)
    plugin.kill()
    await plugin.exit
    // ...and refused once it is gone; the host stays for the next launch.
    await waitFor(() => listenerOf(portOf(plugin), [host.pid]) === undefined, 'the session server to close')
    const after = connectPlugin(plugin.handshakeLine, plugin.client)
    await expect(call(after.health, 'Check', { service: 'plugin' }, 3_000)).rejects.toThrow()
    closePluginClients(after)
    expect(hostsFor(marker).map((h) => h.pid)).toEqual([host.pid])
  })

  it('exits once idle for OPENC2C_PROVIDER_HOST_IDLE_SECONDS, removing its socket', async () => {
    const marker = newMarker()
    // Long enough for the warm-up and one launch on a loaded machine, short enough to wait for.
    const env = { OPENC2C_TEST_HOST: marker, OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '3' }
    const host = await warmHost(env)
    const plugin = await hostServedLaunch(env, host)
    await plugin.shutdown()
    await waitFor(() => hostsFor(marker).length === 0, 'the idle host to exit', 15_000)
    expect(existsSync(host.socketPath)).toBe(false)
  })

  it('does not use a socket folder that others can enter; the launch runs in-process', async () => {
    const marker = newMarker()
    const runtimeDir = mkdtempSync(join(tmpdir(), 'openc2c-runtime-'))
    try {
      mkdirSync(join(runtimeDir, `openc2c-${process.getuid?.()}`), { mode: 0o777 })
      const plugin = await launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker, XDG_RUNTIME_DIR: runtimeDir } })
      await schemaWorks(plugin)
      expect(hostsFor(marker)).toEqual([])
      await plugin.shutdown()
    } finally {
      rmSync(runtimeDir, { recursive: true, force: true })
    }
  })

  it('replaces a host that stops answering: the launch runs in-process after 1 s, the next one gets a new host', async () => {
    const marker = newMarker()
    const stuck = await warmHost({ OPENC2C_TEST_HOST: marker })
    process.kill(stuck.pid, 'SIGSTOP')
    try {
      const plugin = await launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker } })
      expect(plugin.handshakeMs).toBeGreaterThanOrEqual(1_000)
      expect(listenerOf(portOf(plugin), [plugin.child.pid!])).toBe(plugin.child.pid)
      await schemaWorks(plugin)
      await plugin.shutdown()
      await waitFor(() => hostsFor(marker).some((host) => host.pid !== stuck.pid), 'a replacement host')
      const replacement = hostsFor(marker).find((host) => host.pid !== stuck.pid) as HostProcess
      await waitFor(() => !existsSync(`${replacement.socketPath}.starting`), 'the replacement to listen')
      // The stuck host lost the doorbell too: launches are served from the shell line again (a launch that
      // waited out the shell's timer would have become Node).
      const next = await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, replacement)
      expectServedByShell(next)
      await next.shutdown()
    } finally {
      process.kill(stuck.pid, 'SIGCONT')
    }
    // The stuck host, once it runs again, finds its socket taken and leaves.
    await waitFor(() => !hostsFor(marker).some((host) => host.pid === stuck.pid), 'the stuck host to retire', 15_000)
  }, 30_000)

  it('works with a socket path at the length limit', async () => {
    const marker = newMarker()
    // <base>/openc2c-<uid>/<24 hex>.sock is 107 bytes, the most a Linux socket address holds.
    const uidPart = `/openc2c-${process.getuid?.()}/`.length + 24 + '.sock'.length
    const root = mkdtempSync(join(tmpdir(), 'r'))
    const base = join(root, 'x'.repeat(Math.max(1, 107 - uidPart - root.length - 1)))
    mkdirSync(base, { mode: 0o700 })
    try {
      const env = { OPENC2C_TEST_HOST: marker, XDG_RUNTIME_DIR: base }
      const host = await warmHost(env)
      expect(Buffer.byteLength(host.socketPath)).toBe(107)
      const plugin = await hostServedLaunch(env, host)
      await plugin.shutdown()
    } finally {
      await stopHostsOf(marker)
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('ends the session when the launch gets SIGTERM, and the launch exits 0', async () => {
    const marker = newMarker()
    const host = await warmHost({ OPENC2C_TEST_HOST: marker })
    const plugin = await hostServedLaunch({ OPENC2C_TEST_HOST: marker }, host)
    plugin.child.kill('SIGTERM')
    expect(await plugin.exit).toEqual({ code: 0, signal: null })
    await waitFor(() => listenerOf(portOf(plugin), [host.pid]) === undefined, 'the session server to close')
    closePluginClients(plugin)
  })

  it("prints the host's refusal on stdout and exits 1, as the provider prints its own", async () => {
    const marker = newMarker()
    // Something that answers like a host refusing the launch: what it says reaches Terraform verbatim.
    const refusing = await listenInPlaceOfHost(marker, (socket) => socket.end(`${JSON.stringify({ refuse: 'refused by the fake host' })}\n`))
    try {
      expect(await launchOnce(marker, '6')).toEqual({ code: 1, stdout: 'refused by the fake host\n' })
    } finally {
      refusing.close()
    }
  })

  it("says, as the provider itself would, that it speaks protocol 6 only, when the host refuses a launch", async () => {
    const marker = newMarker()
    await warmHost({ OPENC2C_TEST_HOST: marker })
    const { code, stdout } = await launchOnce(marker, '4,5')
    expect(code).toBe(1)
    expect(stdout).toMatch(/speaks plugin protocol 6 only; Terraform offered 4,5/)
  })

  it('runs the launch in-process, starting no host, when something that is not a host listens on the socket', async () => {
    const marker = newMarker()
    const impostor = await listenInPlaceOfHost(marker, (socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    try {
      const plugin = await launchProvider(built.executable, { env: { OPENC2C_TEST_HOST: marker } })
      await schemaWorks(plugin)
      expect(listenerOf(portOf(plugin), [plugin.child.pid!])).toBe(plugin.child.pid)
      await plugin.shutdown()
      expect(hostsFor(marker)).toEqual([])
    } finally {
      impostor.close()
    }
  })
})
