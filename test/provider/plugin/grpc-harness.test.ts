// Drives the BUILT provider executable over gRPC exactly as Terraform launches it (cookie, protocol
// versions, PLUGIN_CLIENT_CERT, handshake, mTLS), and once more with TLS disabled. Every RPC Terraform
// uses is called here, including unknown values, validation diagnostics and StopProvider. Requests are
// encoded with @msgpack/msgpack, independently of the provider's own codec.

import { X509Certificate } from 'node:crypto'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { lstatSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chatgptComplianceSourceSchema } from '../../../provider/resources/chatgpt-compliance-source.js'
import { cloudToCloudSourceSchema } from '../../../provider/resources/cloud-to-cloud-source.js'
import { collectorSchema } from '../../../provider/resources/collector.js'
import { collectorDataSourceSchema } from '../../../provider/resources/collector-data-source.js'
import { builtProvider, type BuiltProvider } from '../helpers/built-provider.js'
import { startBlackHole, closedPortUrl, type BlackHole } from '../helpers/black-hole.js'
import * as grpc from '@grpc/grpc-js'
import { generateServerCertificate } from '../../../provider/plugin/certificate.js'
import { grpcTarget } from '../../../provider/plugin/handshake.js'
import { call, clientConstructor, connectPlugin, launchProvider, type PluginConnection } from '../helpers/plugin-client.js'
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

  afterAll(async () => {
    await plugin?.kill()
  })

  it('prints a go-plugin handshake line naming its unix socket, with the server certificate when TLS is on', () => {
    expect(plugin.handshakeLine).toMatch(/^1\|6\|unix\|\/[^|]+\/grpc\.sock\|grpc\|/)
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

  it('listens on a unix socket in a folder of its own that only its user can enter', () => {
    const socket = lstatSync(plugin.handshake.address)
    expect(socket.isSocket()).toBe(true)
    const folder = lstatSync(dirname(plugin.handshake.address))
    expect(folder.isDirectory()).toBe(true)
    expect(folder.mode & 0o777).toBe(0o700)
    expect(folder.uid).toBe(process.getuid?.())
  })

  it.skipIf(!tls)('serves over mTLS only a client that presents the certificate Terraform handed over', async () => {
    // The server verifies clients against PLUGIN_CLIENT_CERT: another self-signed certificate, or none, is
    // refused.
    const server = Buffer.from(plugin.handshake.serverCertificatePem!)
    const stranger = generateServerCertificate(new Date(), 'secp521r1')
    const health = clientConstructor('health')
    const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' }
    for (const credentials of [
      grpc.credentials.createSsl(server, Buffer.from(stranger.privateKeyPem), Buffer.from(stranger.certificatePem)),
      grpc.credentials.createSsl(server),
    ]) {
      const client = new health(grpcTarget(plugin.handshake), credentials, options)
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

  it('serves the schema: four resources, one data source, nested blocks, write-only and sensitive flags', async () => {
    type Attribute = { name: string; type: Buffer; write_only: boolean; sensitive: boolean; required: boolean; computed: boolean }
    const response = await call<{
      provider: { block: { attributes: Array<{ name: string; sensitive: boolean }> } }
      resource_schemas: Record<string, { block: { attributes: Attribute[]; block_types: Array<{ type_name: string; nesting: string; block: { attributes: Attribute[] } }> } }>
      data_source_schemas: Record<string, unknown>
      server_capabilities: { plan_destroy: boolean }
      diagnostics: Diag[]
    }>(plugin.provider, 'GetProviderSchema', {})
    expect(errors(response)).toEqual([])
    expect(Object.keys(response.resource_schemas).sort()).toEqual(['openc2c_chatgpt_compliance_source', 'openc2c_cloud_to_cloud_source', 'openc2c_collector', 'openc2c_destination'])
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
    const destination = response.resource_schemas.openc2c_destination!.block
    expect(destination.block_types.map((b) => [b.type_name, b.nesting])).toEqual(
      ['elasticsearch', 'file', 'filter', 'splunk_hec', 'sumo_http', 'webhook'].map((name) => [name, 'SINGLE']),
    )
    const hec = destination.block_types.find((b) => b.type_name === 'splunk_hec')!.block.attributes
    expect(hec.find((a) => a.name === 'token_wo')).toMatchObject({ write_only: true, sensitive: true, required: true })
    expect(hec.find((a) => a.name === 'url')).toMatchObject({ write_only: false, required: true })
    const headers = destination.block_types.find((b) => b.type_name === 'webhook')!.block.attributes.find((a) => a.name === 'headers_wo')!
    expect(JSON.parse(headers.type.toString())).toEqual(['map', 'string'])
    expect(headers.write_only).toBe(true)
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
    expect(exit.leftovers).toEqual([]) // the socket and its folder went with the process
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
  // Folders the tests below make, removed when they are done.
  const made: string[] = []
  const folder = async (prefix: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true })
  })

  const version = async (file: string, cwd?: string): Promise<{ code: number | null; stdout: string }> => {
    const child = spawn(file, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd && { cwd }) })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const [code] = (await once(child, 'exit')) as [number | null]
    return { code, stdout }
  }

  it('embeds a V8 code cache that this Node accepts, and reports it with --version', async () => {
    const { code, stdout } = await version(built.executable)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^terraform-provider-openc2c 0\.1\.0 \(node v\d+\.\d+\.\d+, code cache accepted\)/)
  })

  it('is one shell line that execs node, then the program: no other launch machinery', async () => {
    const text = await readFile(built.executable, 'utf8')
    const lines = text.split('\n')
    expect(lines[0]).toBe('#!/bin/sh')
    expect(lines[1]).toMatch(/^exec node --input-type=commonjs -e '[^']*' "\$0" "\$@"$/)
    expect(lines[2]).toMatch(/^\/\/ /)
  })

  it('bundles the @grpc/grpc-js server but no .proto loader (proto-loader, the protobufjs parser) and no long.js', async () => {
    const text = await readFile(built.executable, 'utf8')
    // Identifiers are not minified, so these names show what went into the bundle: grpc-js's server-side
    // call class, and the entry points of @grpc/proto-loader and of protobufjs's .proto tokenizer, which
    // packaging/bundle.ts keeps out (service definitions come from the descriptor embedded at build time),
    // and long.js, whose module esbuild names after its path.
    expect(text).toContain('BaseServerInterceptingCall')
    expect(text).not.toContain('createPackageDefinition')
    expect(text).not.toContain('function tokenize')
    expect(text).not.toContain('node_modules/long/')
  })

  it('still starts, compiling as usual, when V8 rejects the embedded cache (a different Node build)', async () => {
    const text = await readFile(built.executable, 'utf8')
    const mark = text.lastIndexOf('\n//@cache\n') + '\n//@cache\n'.length
    // Same length, other bytes: what a cache from another V8 looks like to this one (its checks fail).
    const cache = Buffer.from(text.slice(mark).trim(), 'base64')
    for (let i = 0; i < 64; i++) cache[i] = (cache[i] as number) ^ 0x5a
    const file = join(await folder('openc2c-test-rejected-cache-'), 'terraform-provider-openc2c')
    await writeFile(file, `${text.slice(0, mark)}${cache.toString('base64')}\n`, { mode: 0o755 })
    const { code, stdout } = await version(file)
    expect(code).toBe(0)
    expect(stdout).toMatch(/code cache rejected\)/)
    const plugin = await launchProvider(file)
    expect((await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
    expect((await plugin.shutdown()).code).toBe(0)
  })

  it('starts from a relative path with spaces in it, as Terraform runs .terraform/providers/...', async () => {
    const dir = join(await folder('openc2c-test-cwd-'), 'with space')
    await mkdir(join(dir, '.terraform'), { recursive: true })
    await copyFile(built.executable, join(dir, '.terraform', 'terraform-provider-openc2c_v0.1.0'))
    const { code, stdout } = await version('.terraform/terraform-provider-openc2c_v0.1.0', dir)
    expect(code).toBe(0)
    expect(stdout).toMatch(/code cache accepted\)/)
  })

  it('runs the same whether Node takes the file for CommonJS or for an ES module', async () => {
    for (const type of ['module', 'commonjs']) {
      const dir = await folder(`openc2c-test-${type}-`)
      await writeFile(join(dir, 'package.json'), JSON.stringify({ type }))
      await copyFile(built.executable, join(dir, 'terraform-provider-openc2c_v0.1.0'))
      const plugin = await launchProvider(join(dir, 'terraform-provider-openc2c_v0.1.0'))
      expect((await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
      expect((await plugin.shutdown()).code).toBe(0)
    }
  })

  it('makes its socket folder under the temporary directory when Terraform names no socket folder', async () => {
    const temporary = await folder('openc2c-test-tmpdir-')
    const plugin = await launchProvider(built.executable, { env: { TMPDIR: temporary, PLUGIN_UNIX_SOCKET_DIR: '' } })
    expect(dirname(dirname(plugin.handshake.address))).toBe(temporary)
    expect((await plugin.shutdown()).code).toBe(0)
    expect(await readdir(temporary)).toEqual([])
  })

  it('says so on stdout, and exits, when the socket path would be too long for a unix socket', async () => {
    const deep = join(await folder('openc2c-test-deep-'), 'd'.repeat(90))
    await mkdir(deep)
    const child = spawn(built.executable, [], {
      env: { ...process.env, TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2', PLUGIN_PROTOCOL_VERSIONS: '6', PLUGIN_UNIX_SOCKET_DIR: deep },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stdout).toMatch(/openc2c provider failed to start: .*too long for a unix socket; set TMPDIR/)
    expect(await readdir(deep)).toEqual([])
  })
})

describe('reattach mode (--debug)', () => {
  it('prints TF_REATTACH_PROVIDERS with a unix socket address, serves on it, and removes it on SIGTERM', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'openc2c-test-debug-'))
    const child = spawn(built.executable, ['--debug'], { env: { ...process.env, PLUGIN_UNIX_SOCKET_DIR: parent }, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const reattach = await new Promise<string>((resolve) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const match = /TF_REATTACH_PROVIDERS='(.*)'/.exec(line)
          if (match?.[1]) resolve(match[1])
        })
      })
      const config = JSON.parse(reattach)['registry.terraform.io/openc2c/openc2c'] as { Protocol: string; ProtocolVersion: number; Pid: number; Addr: { Network: string; String: string } }
      expect(config).toMatchObject({ Protocol: 'grpc', ProtocolVersion: 6, Pid: child.pid, Addr: { Network: 'unix' } })
      expect(dirname(dirname(config.Addr.String))).toBe(parent)
      expect(lstatSync(dirname(config.Addr.String)).mode & 0o777).toBe(0o700)
      const clients = connectPlugin(`1|6|unix|${config.Addr.String}|grpc|`, undefined)
      expect((await call<{ status: string }>(clients.health, 'Check', { service: 'plugin' })).status).toBe('SERVING')
      for (const client of [clients.provider, clients.health, clients.controller, clients.stdio, clients.broker]) client.close()
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit')
      expect(code).toBe(0)
        expect(await readdir(parent)).toEqual([])
    } finally {
      child.kill('SIGKILL')
      await rm(parent, { recursive: true, force: true })
    }
  })
})
