// The resident host in this process, with a unix socket and go-plugin clients: what each session gets,
// how sessions end, and when the host stops.

import { mkdtempSync, renameSync, rmSync, existsSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ProviderServer } from '../../../provider/framework/provider-server.js'
import { serveHost, type HostOptions, type RunningHost } from '../../../provider/host/host.js'
import { jsonLines } from '../../../provider/host/protocol.js'
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../provider/plugin/handshake.js'
import { collectorDataSourceSchema } from '../../../provider/resources/collector-data-source.js'
import { openc2cProvider } from '../../../provider/resources/provider-config.js'
import { objectTypeOf, type BlockSchema } from '../../../provider/framework/schema.js'
import { encodeMsgpack } from '../../../provider/tfvalue/msgpack-codec.js'
import { record, type TfValue } from '../../../provider/tfvalue/value.js'
import { call, clientCertificate, closePluginClients, connectPlugin, type ClientCertificate, type PluginClients } from '../helpers/plugin-client.js'
import { waitFor } from '../helpers/wait-for.js'

let dir: string
let socketPath: string
const hosts: RunningHost[] = []
const opened: PluginClients[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'openc2c-host-'))
  socketPath = join(dir, 'host.sock')
})
afterEach(() => {
  for (const clients of opened.splice(0)) closePluginClients(clients)
  for (const host of hosts.splice(0)) host.retire()
  rmSync(dir, { recursive: true, force: true })
})

interface Started {
  host: RunningHost
  exited: Promise<void>
  sessionEnvs: NodeJS.ProcessEnv[]
}

async function startHost(options: Partial<HostOptions> = {}): Promise<Started> {
  const sessionEnvs: NodeJS.ProcessEnv[] = []
  let exit!: () => void
  const exited = new Promise<void>((resolve) => (exit = resolve))
  const host = await serveHost({
    socketPath,
    idleMs: 60_000,
    provider: (env, log) => {
      sessionEnvs.push(env)
      return new ProviderServer(openc2cProvider(env), log) as ProviderServer<unknown>
    },
    onExit: () => exit(),
    maxSessions: 8,
    ...options,
  })
  hosts.push(host)
  return { host, exited, sessionEnvs }
}

/** A launch's side of the socket: sends the request, records every message. */
class FakeLaunch {
  readonly messages: Array<Record<string, unknown> | undefined> = []
  readonly closed: Promise<void>
  readonly socket: Socket
  private waiters: Array<() => void> = []

  constructor(path: string, env: Record<string, string>) {
    this.socket = connect(path)
    this.socket.on('connect', () => this.socket.write(`${JSON.stringify({ env })}\n`))
    this.socket.on(
      'data',
      jsonLines((message) => {
        this.messages.push(message as Record<string, unknown> | undefined)
        for (const wake of this.waiters.splice(0)) wake()
      }),
    )
    this.socket.on('error', () => {})
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()))
  }

  async next<K extends string>(key: K, timeoutMs = 10_000): Promise<Record<K, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.messages.find((message) => message && key in message)
      if (found) return found as Record<K, unknown>
      if (Date.now() > deadline) throw new Error(`no ${key} message; got ${JSON.stringify(this.messages)}`)
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 50))])
    }
  }
}

function launchEnv(client: ClientCertificate, extra: Record<string, string> = {}): Record<string, string> {
  return { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5,6', PLUGIN_CLIENT_CERT: client.certificatePem, ...extra }
}

async function openSession(extra: Record<string, string> = {}): Promise<{ launch: FakeLaunch; clients: PluginClients; client: ClientCertificate }> {
  const client = clientCertificate()
  const launch = new FakeLaunch(socketPath, launchEnv(client, extra))
  const { handshake } = await launch.next('handshake')
  const clients = connectPlugin(handshake as string, client)
  opened.push(clients)
  return { launch, clients, client }
}

function dynamicValue(schema: BlockSchema, values: Record<string, TfValue>): { msgpack: Buffer } {
  const full = record(Object.keys(schema.attributes).map((name) => [name, values[name] ?? null]))
  return { msgpack: Buffer.from(encodeMsgpack(objectTypeOf(schema), full)) }
}

describe('resident provider host', () => {
  it('gives each launch its own server, certificate and provider, built from its own session variables', async () => {
    const { sessionEnvs, host } = await startHost()
    const a = await openSession({ OPENC2C_ENDPOINT: 'http://127.0.0.1:9', OPENC2C_ACCESS_ID: 'id-a', OPENC2C_ACCESS_KEY: 'key-a' })
    const b = await openSession()
    expect(host.sessions()).toBe(2)
    expect(a.clients.handshake.address).not.toBe(b.clients.handshake.address)
    expect(a.clients.handshake.serverCertificatePem).not.toBe(b.clients.handshake.serverCertificatePem)
    expect(sessionEnvs.map((env) => env.OPENC2C_ACCESS_KEY)).toEqual(['key-a', undefined])

    // Session a configures from its launch's variables; session b has none and says so.
    const configured = await call<{ diagnostics?: unknown[] }>(a.clients.provider, 'ConfigureProvider', { config: { msgpack: Buffer.from([0x80]) } })
    const missing = await call<{ diagnostics?: Array<{ summary: string }> }>(b.clients.provider, 'ConfigureProvider', { config: { msgpack: Buffer.from([0x80]) } })
    expect(configured.diagnostics ?? []).toEqual([])
    expect(missing.diagnostics?.map((d) => d.summary)).toContain('Missing endpoint')
  })

  it("trusts only the launch's own client certificate on its session's server", async () => {
    await startHost()
    const a = await openSession()
    const stranger = connectPlugin(a.clients.handshakeLine, clientCertificate())
    opened.push(stranger)
    await expect(call(stranger.provider, 'GetProviderSchema', {}, 3_000)).rejects.toThrow()
    await expect(call(a.clients.provider, 'GetProviderSchema', {})).resolves.toHaveProperty('provider')
  })

  it("ends a session when Terraform calls Shutdown, telling that launch to exit, and leaves the others serving", async () => {
    const { host } = await startHost()
    const a = await openSession()
    const b = await openSession()
    await call(a.clients.controller, 'Shutdown', {})
    expect(await a.launch.next('exit')).toEqual({ exit: 0 })
    await a.launch.closed
    await waitFor(() => host.sessions() === 1, 'one session left')
    await expect(call(b.clients.provider, 'GetProviderSchema', {})).resolves.toHaveProperty('provider')
    expect(b.launch.messages.some((message) => message && 'exit' in message)).toBe(false)
  })

  it('stops a session whose launch went away (its server stops answering)', async () => {
    const { host } = await startHost()
    const a = await openSession()
    await call(a.clients.provider, 'GetProviderSchema', {})
    a.launch.socket.destroy()
    await waitFor(() => host.sessions() === 0, 'the session to end')
    closePluginClients(a.clients)
    const again = connectPlugin(a.clients.handshakeLine, a.client)
    opened.push(again)
    await expect(call(again.provider, 'GetProviderSchema', {}, 3_000)).rejects.toThrow()
  })

  it("aborts the session's in-flight work when its launch goes away, as the process's exit used to", async () => {
    await startHost()
    const requests: number[] = []
    // A service that is always busy: the provider retries its GETs (client/api-client.ts), 200 ms apart and more.
    const busy = createHttpServer((request, response) => {
      requests.push(Date.now())
      request.resume()
      response.writeHead(503).end('busy')
    })
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    try {
      const endpoint = `http://127.0.0.1:${(busy.address() as AddressInfo).port}`
      const a = await openSession({ OPENC2C_ENDPOINT: endpoint, OPENC2C_ACCESS_ID: 'id', OPENC2C_ACCESS_KEY: 'key' })
      await call(a.clients.provider, 'ConfigureProvider', { config: { msgpack: Buffer.from([0x80]) } })
      const read = call(a.clients.provider, 'ReadDataSource', { type_name: 'openc2c_collector', config: dynamicValue(collectorDataSourceSchema, { id: '1' }) }).catch(() => undefined)
      await waitFor(() => requests.length > 0, 'the first request')
      const gone = Date.now()
      a.launch.socket.destroy()
      await read
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      expect(requests.filter((at) => at > gone + 20)).toEqual([])
    } finally {
      busy.close()
    }
  })

  it('sends the session log lines at the level the launch asked for', async () => {
    await startHost()
    const quiet = await openSession()
    const chatty = await openSession({ TF_LOG_PROVIDER: 'info' })
    await call(quiet.clients.provider, 'StopProvider', {})
    await call(chatty.clients.provider, 'StopProvider', {})
    const { log } = await chatty.launch.next('log')
    expect(JSON.parse(log as string)).toMatchObject({ '@level': 'info', '@message': expect.stringMatching(/StopProvider/) })
    expect(quiet.launch.messages.filter((message) => message && 'log' in message)).toEqual([])
  })

  it('turns away launches beyond its session limit (they run in-process), and takes them again once one ends', async () => {
    const { host } = await startHost({ maxSessions: 1 })
    const a = await openSession()
    const turnedAway = new FakeLaunch(socketPath, launchEnv(clientCertificate()))
    await turnedAway.closed
    expect(turnedAway.messages).toEqual([])
    expect(host.sessions()).toBe(1)
    a.launch.socket.destroy()
    await waitFor(() => host.sessions() === 0, 'the session to end')
    const b = await openSession()
    await expect(call(b.clients.provider, 'GetProviderSchema', {})).resolves.toHaveProperty('provider')
  })

  it('refuses a launch without the magic cookie and a request that carries host variables', async () => {
    const { host } = await startHost()
    const noCookie = new FakeLaunch(socketPath, { PLUGIN_PROTOCOL_VERSIONS: '6' })
    expect(await noCookie.next('refuse')).toHaveProperty('refuse', expect.stringMatching(/This binary is a plugin/))
    await noCookie.closed

    const client = clientCertificate()
    const smuggled = new FakeLaunch(socketPath, { ...launchEnv(client), NODE_OPTIONS: '--require /tmp/x.js' })
    await smuggled.closed
    expect(smuggled.messages).toEqual([])

    const garbage = connect(socketPath)
    garbage.on('error', () => {})
    garbage.write('GET / HTTP/1.1\r\n\r\n\n')
    await new Promise((resolve) => garbage.on('close', resolve))
    await waitFor(() => host.sessions() === 0, 'no session left')
  })

  it('drops a connection that sends no request, and never counts it as a session that keeps the host up', async () => {
    const { host, exited } = await startHost({ requestTimeoutMs: 200, idleMs: 1_000 })
    let hostExited = false
    void exited.then(() => (hostExited = true))
    const mute = connect(socketPath)
    mute.on('error', () => {})
    await new Promise((resolve) => mute.on('connect', resolve))
    expect(host.sessions()).toBe(0)
    await new Promise((resolve) => mute.on('close', resolve))
    // Dropped by the request timeout, while the host was still up.
    expect(hostExited).toBe(false)
    await exited
  })

  it('exits after the idle time without sessions, not while one is open, and removes its socket', async () => {
    const { exited, host } = await startHost({ idleMs: 1_000 })
    let done = false
    void exited.then(() => (done = true))
    const a = await openSession()
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(done).toBe(false)
    await call(a.clients.provider, 'GetProviderSchema', {})
    a.launch.socket.destroy()
    await exited
    expect(host.sessions()).toBe(0)
    expect(existsSync(socketPath)).toBe(false)
  })

  it('retires when a newer host takes its socket path, leaving the newer one in place', async () => {
    const first = await startHost({ socketCheckMs: 50 })
    const second = await startHost({ socketCheckMs: 50 })
    await first.exited
    expect(existsSync(socketPath)).toBe(true)
    const session = await openSession()
    expect(second.sessionEnvs).toHaveLength(1)
    expect(first.sessionEnvs).toHaveLength(0)
    session.launch.socket.destroy()
  })

  it('retires when its socket is removed or replaced by something else', async () => {
    const { exited } = await startHost({ socketCheckMs: 50 })
    const impostor = createServer()
    await new Promise<void>((resolve) => impostor.listen(join(dir, 'other.sock'), resolve))
    renameSync(join(dir, 'other.sock'), socketPath)
    await exited
    expect(existsSync(socketPath)).toBe(true) // the other listener's socket is not the host's to remove
    impostor.close()
  })
})
