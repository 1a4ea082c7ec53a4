// Produces the V8 code cache embedded in the executable (executable.ts): runs the just-built provider
// the way Terraform would (mTLS handshake, schema, validation, plans for every resource type), then shuts
// it down; on exit the loader writes V8's cache of everything compiled so far. The next launch skips that
// compilation.

import * as grpc from '@grpc/grpc-js'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { generateServerCertificate } from '../plugin/certificate.js'
import { SERVICE_NAMES, serviceDefinitions } from '../plugin/grpc-definitions.js'
import { grpcTarget, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, parseHandshakeLine } from '../plugin/handshake.js'
import { objectTypeOf, valueNames, type BlockSchema } from '../framework/schema.js'
import { encodeMsgpack } from '../tfvalue/msgpack-codec.js'
import { record, UNKNOWN, type TfValue } from '../tfvalue/value.js'
import { openc2cProvider } from '../resources/provider-config.js'

type Unary = (request: unknown, callback: (error: grpc.ServiceError | null, response: unknown) => void) => void

function dynamic(schema: BlockSchema, values: Record<string, TfValue>): { msgpack: Buffer } {
  const full = record(valueNames(schema).map((name) => [name, values[name] ?? null]))
  return { msgpack: Buffer.from(encodeMsgpack(objectTypeOf(schema), full)) }
}

const SAMPLE_CONFIGS: Record<string, Record<string, TfValue>> = {
  openc2c_collector: { name: 'warm-up' },
  openc2c_cloud_to_cloud_source: { collector_id: UNKNOWN, schema_ref: record({ type: 'ChatGPT Compliance' }), config: '{"name":"warm-up"}' },
  openc2c_chatgpt_compliance_source: { collector_id: 1, name: 'warm-up', workspace_id: 'ws', api_key_wo: 'k', api_key_wo_version: 1, event_types: ['AUDIT'] },
  openc2c_destination: {
    name: 'warm-up',
    type: 'splunk_hec',
    secrets_wo_version: 1,
    splunk_hec: record({ url: 'https://splunk.example:8088', token_wo: 'k', indexer_ack: true, index: null, sourcetype: null, source: null }),
    filter: record({ collector_ids: [1], source_ids: null, source_category: null, event_types: ['AUDIT'] }),
  },
}

export async function produceCodeCache(executable: string, outFile: string): Promise<Buffer> {
  const client = generateServerCertificate(new Date(), 'secp521r1')
  const child = spawn(executable, [], {
    env: {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: client.certificatePem,
      OPENC2C_WRITE_CODE_CACHE: outFile,
      OPENC2C_ENDPOINT: 'http://127.0.0.1:9',
      OPENC2C_ACCESS_ID: 'warm-up',
      OPENC2C_ACCESS_KEY: 'warm-up',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  const handshake = parseHandshakeLine(line)
  const credentials = grpc.credentials.createSsl(Buffer.from(handshake.serverCertificatePem ?? ''), Buffer.from(client.privateKeyPem), Buffer.from(client.certificatePem))
  const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' }
  const definitions = serviceDefinitions()
  const Provider = grpc.makeGenericClientConstructor(definitions.provider, SERVICE_NAMES.provider)
  const Controller = grpc.makeGenericClientConstructor(definitions.controller, SERVICE_NAMES.controller)
  const Health = grpc.makeGenericClientConstructor(definitions.health, SERVICE_NAMES.health)
  const target = grpcTarget(handshake)
  const provider = new Provider(target, credentials, options)
  const controller = new Controller(target, credentials, options)
  const health = new Health(target, credentials, options)
  const call = (target: grpc.Client, method: string, request: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => ((target as unknown as Record<string, Unary>)[method] as Unary).call(target, request, (error, response) => (error ? reject(error) : resolve(response))))
  try {
    const definition = openc2cProvider({})
    await call(health, 'Check', { service: 'plugin' })
    await call(provider, 'GetProviderSchema', {})
    await call(provider, 'ValidateProviderConfig', { config: dynamic(definition.schema, {}) })
    await call(provider, 'ConfigureProvider', { terraform_version: '1.11.4', config: dynamic(definition.schema, {}), client_capabilities: { write_only_attributes_allowed: true } })
    for (const resource of definition.resources) {
      const config = dynamic(resource.schema, SAMPLE_CONFIGS[resource.typeName] ?? {})
      await call(provider, 'ValidateResourceConfig', { type_name: resource.typeName, config })
      await call(provider, 'PlanResourceChange', { type_name: resource.typeName, prior_state: { msgpack: Buffer.from([0xc0]) }, proposed_new_state: config, config })
    }
    await call(controller, 'Shutdown', {}).catch(() => undefined)
  } finally {
    for (const c of [provider, controller, health]) c.close()
  }
  const [code] = (await exited) as [number | null]
  if (code !== 0) throw new Error(`code cache warm-up: the provider exited with ${code}`)
  const cache = await readFile(outFile)
  await rm(outFile, { force: true })
  return cache
}
