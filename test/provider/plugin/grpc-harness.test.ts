// Drives the BUILT provider executable over gRPC exactly as Terraform launches it (cookie, protocol
// versions, PLUGIN_CLIENT_CERT, handshake, mTLS), and once more with TLS disabled. Every RPC Terraform
// uses is called here, including unknown values, validation diagnostics and StopProvider. Requests are
// encoded with @msgpack/msgpack, independently of the provider's own codec.

import { X509Certificate } from 'node:crypto'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chatgptComplianceSourceSchema } from '../../../provider/resources/chatgpt-compliance-source.js'
import { cloudToCloudSourceSchema } from '../../../provider/resources/cloud-to-cloud-source.js'
import { collectorSchema } from '../../../provider/resources/collector.js'
import { collectorDataSourceSchema } from '../../../provider/resources/collector-data-source.js'
import { builtProvider, type BuiltProvider } from '../helpers/built-provider.js'
import { startBlackHole, closedPortUrl, type BlackHole } from '../helpers/black-hole.js'
import * as grpc from '@grpc/grpc-js'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'
import { call, clientConstructor, launchProvider, type PluginConnection } from '../helpers/plugin-client.js'
import { dynamic, fullObject, tfDecode, TfUnknown, UNKNOWN } from '../helpers/tf-msgpack.js'

const COLLECTOR = Object.keys(collectorSchema.attributes)
const C2C = Object.keys(cloudToCloudSourceSchema.attributes)
const CHATGPT = Object.keys(chatgptComplianceSourceSchema.attributes)
const DATA_COLLECTOR = Object.keys(collectorDataSourceSchema.attributes)
const NO_ENV = { OPENC2C_ENDPOINT: '', OPENC2C_ACCESS_ID: '', OPENC2C_ACCESS_KEY: '' }

interface Diag {
  severity: string
  summary: string
  detail: string
  attribute?: { steps: Array<{ attribute_name?: string; element_key_string?: string }> }
}

const errors = (response: { diagnostics?: Diag[] }): Diag[] => (response.diagnostics ?? []).filter((d) => d.severity === 'ERROR')
const pathOf = (d: Diag): string => (d.attribute?.steps ?? []).map((s) => s.attribute_name ?? `[${s.element_key_string}]`).join('.')

let built: BuiltProvider
let blackHole: BlackHole

beforeAll(async () => {
  built = await builtProvider()
  blackHole = await startBlackHole()
})

afterAll(async () => {
  await blackHole?.close()
})

describe('launch contract', () => {
  it('refuses to run without the magic cookie and says why on stdout', async () => {
    const child = spawn(built.executable, [], { env: { ...process.env, TF_PLUGIN_MAGIC_COOKIE: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stdout).toMatch(/This binary is a plugin/)
  })

  it('refuses a host that offers only protocol 5', async () => {
    const child = spawn(built.executable, [], {
      env: { ...process.env, TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2', PLUGIN_PROTOCOL_VERSIONS: '5' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stdout).toMatch(/protocol 6/)
  })
})

describe.each([
  { tls: true, label: 'AutoMTLS' },
  { tls: false, label: 'plaintext (TF_DISABLE_PLUGIN_TLS)' },
])('provider over gRPC, $label', ({ tls }) => {
  let plugin: PluginConnection

  beforeAll(async () => {
    plugin = await launchProvider(built.executable, { tls, env: NO_ENV })
  })

  afterAll(() => plugin?.kill())

  it('prints a go-plugin handshake line with the server certificate when TLS is on', () => {
    expect(plugin.handshakeLine).toMatch(/^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|/)
    const certificateField = plugin.handshakeLine.split('|')[5] ?? ''
    if (!tls) {
      expect(certificateField).toBe('')
      return
    }
    expect(certificateField).not.toContain('=') // Go RawStdEncoding: no padding
    const certificate = new X509Certificate(plugin.handshake.serverCertificatePem!)
    expect(certificate.subject).toContain('CN=localhost')
    expect(certificate.subjectAltName).toBe('DNS:localhost')
    expect(certificate.ca).toBe(true)
    expect(certificate.checkIssued(certificate)).toBe(true)
  })

  it.skipIf(!tls)('serves over mTLS only a client that presents the certificate Terraform handed over', async () => {
    // The server verifies clients against PLUGIN_CLIENT_CERT alone (its `ca`), whatever the launcher does
    // to Node's default store: another self-signed certificate, or none, is refused.
    const server = Buffer.from(plugin.handshake.serverCertificatePem!)
    const stranger = generateServerCertificate(new Date(), 'secp521r1')
    const health = clientConstructor('health')
    const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' }
    for (const credentials of [
      grpc.credentials.createSsl(server, Buffer.from(stranger.privateKeyPem), Buffer.from(stranger.certificatePem)),
      grpc.credentials.createSsl(server),
    ]) {
      const client = new health(plugin.handshake.address, credentials, options)
      await expect(call(client, 'Check', { service: 'plugin' }, 5_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE })
      client.close()
    }
    expect((await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
  })

  it('reports healthy for the service named "plugin"', async () => {
    const response = await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })
    expect(response.status).toBe('SERVING')
  })

  it('keeps the stdio and broker streams open', async () => {
    const stdio = (plugin.stdio as unknown as { StreamStdio(req: unknown): NodeJS.EventEmitter }).StreamStdio({})
    const broker = (plugin.broker as unknown as { StartStream(): NodeJS.EventEmitter & { end(): void } }).StartStream()
    let ended = false
    stdio.on('end', () => (ended = true))
    stdio.on('error', () => {})
    broker.on('error', () => {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(ended).toBe(false)
    broker.end()
  })

  it('serves the schema: three resources, one data source, write-only and sensitive flags', async () => {
    const response = await call<{
      provider: { block: { attributes: Array<{ name: string; sensitive: boolean }> } }
      resource_schemas: Record<string, { block: { attributes: Array<{ name: string; type: Buffer; write_only: boolean; sensitive: boolean; required: boolean; computed: boolean }> } }>
      data_source_schemas: Record<string, unknown>
      server_capabilities: { plan_destroy: boolean }
      diagnostics: Diag[]
    }>(plugin.provider, 'GetProviderSchema', {})
    expect(errors(response)).toEqual([])
    expect(Object.keys(response.resource_schemas).sort()).toEqual(['openc2c_chatgpt_compliance_source', 'openc2c_cloud_to_cloud_source', 'openc2c_collector'])
    expect(Object.keys(response.data_source_schemas)).toEqual(['openc2c_collector'])
    expect(response.server_capabilities.plan_destroy).toBe(true)
    expect(response.provider.block.attributes.find((a) => a.name === 'access_key')?.sensitive).toBe(true)
    const chatgpt = response.resource_schemas.openc2c_chatgpt_compliance_source!.block.attributes
    const apiKeyWo = chatgpt.find((a) => a.name === 'api_key_wo')!
    expect(apiKeyWo.write_only).toBe(true)
    expect(apiKeyWo.sensitive).toBe(true)
    expect(JSON.parse(chatgpt.find((a) => a.name === 'event_types')!.type.toString())).toEqual(['set', 'string'])
    const c2c = response.resource_schemas.openc2c_cloud_to_cloud_source!.block.attributes
    expect(JSON.parse(c2c.find((a) => a.name === 'schema_ref')!.type.toString())).toEqual(['map', 'string'])
    expect(JSON.parse(c2c.find((a) => a.name === 'collector_id')!.type.toString())).toBe('number')
  })

  it('answers GetMetadata with the resource and data source names', async () => {
    const response = await call<{ resources: Array<{ type_name: string }>; data_sources: Array<{ type_name: string }> }>(plugin.provider, 'GetMetadata', {})
    expect(response.resources.map((r) => r.type_name)).toContain('openc2c_collector')
    expect(response.data_sources.map((r) => r.type_name)).toEqual(['openc2c_collector'])
  })

  it('validates the provider configuration with attribute paths', async () => {
    const bad = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateProviderConfig', {
      config: dynamic({ endpoint: 'ftp://nope', access_id: null, access_key: null }),
    })
    expect(errors(bad).map(pathOf)).toEqual(['endpoint'])
    const unknown = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateProviderConfig', {
      config: dynamic({ endpoint: UNKNOWN, access_id: UNKNOWN, access_key: null }),
    })
    expect(errors(unknown)).toEqual([])
  })

  it('accepts unknown values at validate time (variables, references)', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateResourceConfig', {
      type_name: 'openc2c_chatgpt_compliance_source',
      config: dynamic(fullObject(CHATGPT, { collector_id: UNKNOWN, name: new TfUnknown(12), workspace_id: UNKNOWN, api_key_wo: UNKNOWN, api_key_wo_version: UNKNOWN, event_types: UNKNOWN })),
    })
    expect(errors(response)).toEqual([])
  })

  it('reports invalid typed-source settings on the attributes that hold them', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateResourceConfig', {
      type_name: 'openc2c_chatgpt_compliance_source',
      config: dynamic(
        fullObject(CHATGPT, {
          collector_id: 0,
          name: '',
          workspace_id: 'has space',
          api_key: 'sk-1',
          api_key_wo: 'sk-2',
          polling_interval_hours: 30,
          event_types: ['CONVERSATION', 'NOPE'],
          fields: { _siemForward: 'yes' },
        }),
      ),
    })
    const paths = errors(response).map(pathOf).sort()
    expect(paths).toEqual(['api_key_wo', 'api_key_wo_version', 'collector_id', 'event_types', 'fields.[_siemForward]', 'name', 'polling_interval_hours', 'workspace_id'])
    expect(errors(response).find((d) => pathOf(d) === 'event_types')?.detail).toContain('"NOPE"')
  })

  it('reports invalid config JSON and schema_ref keys of the generic source', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateResourceConfig', {
      type_name: 'openc2c_cloud_to_cloud_source',
      config: dynamic(fullObject(C2C, { collector_id: 1, schema_ref: { type: 'ChatGPT Compliance', version: '2' }, config: '{not json' })),
    })
    expect(errors(response).map(pathOf).sort()).toEqual(['config', 'schema_ref.[version]'])
  })

  it('checks the data source wants exactly one of name and id', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateDataResourceConfig', {
      type_name: 'openc2c_collector',
      config: dynamic(fullObject(DATA_COLLECTOR, { name: 'a', id: '1' })),
    })
    expect(errors(response)).toHaveLength(1)
  })

  it('names the missing setting when ConfigureProvider has neither attribute nor environment', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ConfigureProvider', {
      terraform_version: '1.11.4',
      config: dynamic({ endpoint: null, access_id: 'id', access_key: null }),
    })
    expect(errors(response).map(pathOf).sort()).toEqual(['access_key', 'endpoint'])
    expect(errors(response)[0]?.detail).toMatch(/OPENC2C_/)
  })

  it('plans a create with the id unknown (msgpack extension 0) and defaults filled in', async () => {
    await configure(plugin, blackHole.url)
    const config = fullObject(COLLECTOR, { name: 'c1' })
    const response = await call<{ planned_state: { msgpack: Buffer }; requires_replace: unknown[]; diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(null),
      proposed_new_state: dynamic(config),
      config: dynamic(config),
    })
    expect(errors(response)).toEqual([])
    const bytes = Buffer.from(response.planned_state.msgpack)
    // "id" (a2 69 64) followed by the plain unknown: fixext1, type 0 (d4 00 xx).
    expect(bytes.includes(Buffer.from([0xa2, 0x69, 0x64, 0xd4, 0x00]))).toBe(true)
    const planned = tfDecode(bytes) as Record<string, unknown>
    expect(planned.id).toBeInstanceOf(TfUnknown)
    expect(planned.time_zone).toBe('UTC')
    expect(planned.name).toBe('c1')
  })

  it('refuses a write-only key when Terraform did not announce write-only support (before 1.11)', async () => {
    const configured = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ConfigureProvider', {
      terraform_version: '1.10.5',
      config: dynamic({ endpoint: blackHole.url, access_id: 'id', access_key: 'key' }),
    })
    expect(errors(configured)).toEqual([])
    const config = fullObject(CHATGPT, { collector_id: 1, name: 's', workspace_id: 'ws', api_key_wo: 'sk-secret', api_key_wo_version: 1 })
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_chatgpt_compliance_source',
      prior_state: dynamic(null),
      proposed_new_state: dynamic(config),
      config: dynamic(config),
    })
    expect(errors(response).map(pathOf)).toEqual(['api_key_wo'])
    expect(errors(response)[0]?.summary).toMatch(/Terraform 1\.11/)
  })

  it('plans a typed source whose collector is not created yet, and never plans the write-only key', async () => {
    await configure(plugin, blackHole.url)
    const config = fullObject(CHATGPT, { collector_id: UNKNOWN, name: 's', workspace_id: 'ws', api_key_wo: 'sk-secret', api_key_wo_version: 1 })
    const response = await call<{ planned_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_chatgpt_compliance_source',
      prior_state: dynamic(null),
      proposed_new_state: dynamic(config),
      config: dynamic(config),
    })
    expect(errors(response)).toEqual([])
    const planned = tfDecode(response.planned_state.msgpack) as Record<string, unknown>
    expect(planned.collector_id).toBeInstanceOf(TfUnknown)
    expect(planned.api_key_wo).toBeNull()
    expect(Buffer.from(response.planned_state.msgpack).includes(Buffer.from('sk-secret'))).toBe(false)
    expect(planned.polling_interval_hours).toBe(1)
    expect(planned.event_types).toEqual(['CONVERSATION'])
    expect(planned.state).toBeInstanceOf(TfUnknown)
    expect(planned.id).toBeInstanceOf(TfUnknown)
  })

  it('plans a replacement when collector_id changes, and an in-place update otherwise', async () => {
    await configure(plugin, blackHole.url)
    const prior = fullObject(CHATGPT, {
      id: '7', collector_id: 1, name: 's', workspace_id: 'ws', api_key_wo_version: 1, polling_interval_hours: 1, event_types: ['CONVERSATION'], state: 'Collecting',
    })
    const moved = { ...prior, collector_id: 2 }
    const replace = await call<{ planned_state: { msgpack: Buffer }; requires_replace: Array<{ steps: Array<{ attribute_name: string }> }>; diagnostics: Diag[] }>(
      plugin.provider,
      'PlanResourceChange',
      { type_name: 'openc2c_chatgpt_compliance_source', prior_state: dynamic(prior), proposed_new_state: dynamic(moved), config: dynamic({ ...moved, id: null, state: null }) },
    )
    expect(errors(replace)).toEqual([])
    expect(replace.requires_replace.map((p) => p.steps.map((s) => s.attribute_name))).toEqual([['collector_id']])
    expect((tfDecode(replace.planned_state.msgpack) as Record<string, unknown>).id).toBeInstanceOf(TfUnknown)

    const renamed = { ...prior, name: 's2' }
    const update = await call<{ planned_state: { msgpack: Buffer }; requires_replace: unknown[]; diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_chatgpt_compliance_source',
      prior_state: dynamic(prior),
      proposed_new_state: dynamic(renamed),
      config: dynamic({ ...renamed, id: null, state: null }),
    })
    expect(update.requires_replace).toEqual([])
    const planned = tfDecode(update.planned_state.msgpack) as Record<string, unknown>
    expect(planned.id).toBe('7') // the id survives an in-place update
    expect(planned.state).toBeInstanceOf(TfUnknown) // the server reports a new state after it
  })

  it('plans a destroy as null', async () => {
    const prior = fullObject(COLLECTOR, { id: '1', name: 'c', time_zone: 'UTC' })
    const response = await call<{ planned_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(prior),
      proposed_new_state: dynamic(null),
      config: dynamic(null),
    })
    expect(errors(response)).toEqual([])
    expect(tfDecode(response.planned_state.msgpack)).toBeNull()
  })

  it('upgrades stored JSON state to msgpack with every attribute present', async () => {
    const response = await call<{ upgraded_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'UpgradeResourceState', {
      type_name: 'openc2c_collector',
      version: 0,
      raw_state: { json: Buffer.from(JSON.stringify({ id: '5', name: 'c', time_zone: 'UTC', retired_attribute: 1 })) },
    })
    expect(errors(response)).toEqual([])
    expect(tfDecode(response.upgraded_state.msgpack)).toEqual({ id: '5', name: 'c', description: null, category: null, time_zone: 'UTC', fields: null })
  })

  it('imports a source by <collectorId>/<sourceId> and rejects other ids', async () => {
    const ok = await call<{ imported_resources: Array<{ type_name: string; state: { msgpack: Buffer } }>; diagnostics: Diag[] }>(plugin.provider, 'ImportResourceState', {
      type_name: 'openc2c_cloud_to_cloud_source',
      id: '12/34',
    })
    expect(errors(ok)).toEqual([])
    expect(tfDecode(ok.imported_resources[0]!.state.msgpack)).toEqual({ id: '34', collector_id: 12, schema_ref: null, config: null })
    const bad = await call<{ imported_resources: unknown[]; diagnostics: Diag[] }>(plugin.provider, 'ImportResourceState', { type_name: 'openc2c_chatgpt_compliance_source', id: 'my-source' })
    expect(bad.imported_resources).toEqual([])
    expect(errors(bad)[0]?.detail).toContain('<collectorId>/<sourceId>')
  })

  it('keeps the state and explains when the service cannot be reached during a read', async () => {
    await configure(plugin, await closedPortUrl())
    const state = fullObject(COLLECTOR, { id: '1', name: 'c', time_zone: 'UTC' })
    const response = await call<{ new_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ReadResource', {
      type_name: 'openc2c_collector',
      current_state: dynamic(state),
    })
    expect(errors(response)[0]?.summary).toMatch(/did not answer/)
    expect(tfDecode(response.new_state.msgpack)).toEqual(state)
  })

  it('answers an unknown resource type with a diagnostic instead of a gRPC error', async () => {
    const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ValidateResourceConfig', { type_name: 'openc2c_nope', config: dynamic({}) })
    expect(errors(response)[0]?.detail).toContain('openc2c_nope')
  })

  it('aborts an in-flight apply when Terraform calls StopProvider', async () => {
    await configure(plugin, blackHole.url)
    const config = fullObject(COLLECTOR, { name: 'hangs' })
    const planned = { ...config, id: UNKNOWN, time_zone: 'UTC' }
    const apply = call<{ new_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ApplyResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(null),
      planned_state: dynamic(planned),
      config: dynamic(config),
    })
    await new Promise((resolve) => setTimeout(resolve, 300)) // the POST is now stuck in the black hole
    const stop = await call<{ Error: string }>(plugin.provider, 'StopProvider', {})
    expect(stop.Error).toBe('')
    const response = await apply
    expect(errors(response)[0]?.summary).toMatch(/interrupted/)
    expect(tfDecode(response.new_state?.msgpack)).toBeFalsy()
  })

  it('ends the stdio stream with status OK before it answers Shutdown, then exits with status 0', async () => {
    // go-plugin closes its connection once it has the Shutdown reply; a stdio stream still open then is
    // cancelled instead of ending with the EOF go-plugin logs as a clean stop.
    const events: string[] = []
    const stdio = (plugin.stdio as unknown as { StreamStdio(req: unknown): NodeJS.EventEmitter }).StreamStdio({})
    stdio.on('status', (status: { code: number }) => events.push(`stdio status ${status.code}`))
    stdio.on('error', () => {})
    stdio.on('data', () => {})
    await new Promise((resolve) => setTimeout(resolve, 100)) // the stream is now open on the provider's side
    await call(plugin.controller, 'Shutdown', {})
    events.push('Shutdown answered')
    const exit = await plugin.shutdown()
    expect(exit.code).toBe(0)
    expect(events).toEqual(['stdio status 0', 'Shutdown answered'])
  })
})

async function configure(plugin: PluginConnection, endpoint: string): Promise<void> {
  const response = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ConfigureProvider', {
    terraform_version: '1.11.4',
    config: dynamic({ endpoint, access_id: 'test-id', access_key: 'test-key' }),
    client_capabilities: { write_only_attributes_allowed: true },
  })
  expect(errors(response)).toEqual([])
}

describe('packaging', () => {
  it('embeds a V8 code cache that this Node accepts, and reports it with --version', async () => {
    const child = spawn(built.executable, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^terraform-provider-openc2c 0\.1\.0 \(node v\d+\.\d+\.\d+, code cache accepted\)/)
  })

  it('bundles the @grpc/grpc-js server but no .proto loader (proto-loader, the protobufjs parser)', async () => {
    const { readFile } = await import('node:fs/promises')
    const text = await readFile(built.executable, 'utf8')
    // Identifiers are not minified, so these names show what went into the bundle: grpc-js's server-side
    // call class, and the entry points of @grpc/proto-loader and of protobufjs's .proto tokenizer, which
    // packaging/bundle.ts keeps out (service definitions come from the descriptor embedded at build time).
    expect(text).toContain('BaseServerInterceptingCall')
    expect(text).not.toContain('createPackageDefinition')
    expect(text).not.toContain('function tokenize')
  })

  it('still starts, compiling as usual, when V8 rejects the embedded cache (a different Node build)', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const text = await readFile(built.executable, 'utf8')
    const mark = text.lastIndexOf('\n//@cache\n') + '\n//@cache\n'.length
    // Same length, other bytes: what a cache from another V8 looks like to this one (its checks fail).
    const cache = Buffer.from(text.slice(mark).trim(), 'base64')
    for (let i = 0; i < 64; i++) cache[i] = (cache[i] as number) ^ 0x5a
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-cache-'))
    const file = join(dir, 'terraform-provider-openc2c')
    await writeFile(file, `${text.slice(0, mark)}${cache.toString('base64')}\n`, { mode: 0o755 })
    const child = spawn(file, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    expect((await once(child, 'exit'))[0]).toBe(0)
    expect(stdout).toMatch(/code cache rejected\)/)
    const plugin = await launchProvider(file)
    expect((await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
    expect((await plugin.shutdown()).code).toBe(0)
  })

  it('starts from a relative path with spaces in it, as Terraform runs .terraform/providers/...', async () => {
    const { mkdtemp, mkdir, copyFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-cwd-'))
    await mkdir(join(dir, 'with space', '.terraform'), { recursive: true })
    await copyFile(built.executable, join(dir, 'with space', '.terraform', 'terraform-provider-openc2c_v0.1.0'))
    const child = spawn('.terraform/terraform-provider-openc2c_v0.1.0', ['--version'], { cwd: join(dir, 'with space'), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    expect((await once(child, 'exit'))[0]).toBe(0)
    expect(stdout).toMatch(/code cache accepted\)/)
  })

  // Reads the launched process's environment from /proc; test/provider/packaging/executable.test.ts covers the
  // same lines on any system.
  it.skipIf(process.platform !== 'linux')('moves NODE_EXTRA_CA_CERTS aside so Node does not load it at start-up, and leaves a CA store the user chose', async () => {
    const environment = async (env: NodeJS.ProcessEnv): Promise<Map<string, string>> => {
      const plugin = await launchProvider(built.executable, { env })
      try {
        const { readFile } = await import('node:fs/promises')
        // The shell execs node, so the launched pid is node's; its environment is what Node started with.
        const raw = await readFile(`/proc/${plugin.child.pid}/environ`, 'utf8')
        const cmdline = (await readFile(`/proc/${plugin.child.pid}/cmdline`, 'utf8')).split('\0')
        const vars = new Map(raw.split('\0').filter(Boolean).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))
        vars.set('argv', cmdline.slice(0, 3).join(' '))
        return vars
      } finally {
        expect((await plugin.shutdown()).code).toBe(0)
      }
    }
    const moved = await environment({ NODE_EXTRA_CA_CERTS: '/etc/some-ca.pem', NODE_OPTIONS: '' })
    expect(moved.has('NODE_EXTRA_CA_CERTS')).toBe(false)
    expect(moved.get('OPENC2C_NODE_EXTRA_CA_CERTS')).toBe('/etc/some-ca.pem')
    expect(moved.get('SSL_CERT_FILE')).toBe('/dev/null')
    expect(moved.get('SSL_CERT_DIR')).toBe('/dev/null')
    expect(moved.get('argv')).toMatch(/^node --use-openssl-ca /)
    // Node refuses --use-openssl-ca next to --use-bundled-ca: the launcher must leave such a choice alone.
    const chosen = await environment({ NODE_EXTRA_CA_CERTS: '/etc/some-ca.pem', NODE_OPTIONS: '--use-bundled-ca' })
    expect(chosen.get('NODE_EXTRA_CA_CERTS')).toBe('/etc/some-ca.pem')
    expect(chosen.has('OPENC2C_NODE_EXTRA_CA_CERTS')).toBe(false)
    expect(chosen.get('argv')).not.toContain('--use-openssl-ca')
  })

  it('runs the same whether Node takes the file for CommonJS or for an ES module', async () => {
    const { mkdtemp, writeFile, copyFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    for (const type of ['module', 'commonjs']) {
      const dir = await mkdtemp(join(tmpdir(), `openc2c-${type}-`))
      await writeFile(join(dir, 'package.json'), JSON.stringify({ type }))
      await copyFile(built.executable, join(dir, 'terraform-provider-openc2c_v0.1.0'))
      const plugin = await launchProvider(join(dir, 'terraform-provider-openc2c_v0.1.0'))
      expect((await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
      expect((await plugin.shutdown()).code).toBe(0)
    }
  })
})
