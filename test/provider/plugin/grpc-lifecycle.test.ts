// The built provider over gRPC (AutoMTLS) against the real service: the RPCs that talk to the API, in
// the order Terraform uses them, asserting on the values that come back. Requests are msgpack-encoded
// with @msgpack/msgpack, as Terraform (go-cty) would send them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startService, type RunningService } from '../../helpers/service.js'
import { chatgptComplianceSourceSchema } from '../../../provider/resources/chatgpt-compliance-source.js'
import { collectorSchema } from '../../../provider/resources/collector.js'
import { collectorDataSourceSchema } from '../../../provider/resources/collector-data-source.js'
import { builtProvider, type BuiltProvider } from '../helpers/built-provider.js'
import { call, launchProvider, type PluginConnection } from '../helpers/plugin-client.js'
import { ServiceApi } from '../helpers/service-api.js'
import { startTlsProxy } from '../helpers/tls-proxy.js'
import { dynamic, fullObject, tfDecode, UNKNOWN } from '../helpers/tf-msgpack.js'

const COLLECTOR = Object.keys(collectorSchema.attributes)
const CHATGPT = Object.keys(chatgptComplianceSourceSchema.attributes)
const DATA_COLLECTOR = Object.keys(collectorDataSourceSchema.attributes)

interface Diag {
  severity: string
  summary: string
  detail: string
  attribute?: { steps: Array<{ attribute_name?: string }> }
}
type Value = Record<string, unknown>
const errors = (response: { diagnostics?: Diag[] }): Diag[] => (response.diagnostics ?? []).filter((d) => d.severity === 'ERROR')

describe('provider RPCs against the service', () => {
  let service: RunningService
  let built: BuiltProvider
  let plugin: PluginConnection
  let api: ServiceApi

  /** plan + apply as Terraform does it; returns the new state. */
  const planAndApply = async (typeName: string, prior: Value | null, config: Value): Promise<Value> => {
    const proposed = prior ? { ...prior, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null)) } : config
    const plan = await call<{ planned_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'PlanResourceChange', {
      type_name: typeName,
      prior_state: dynamic(prior),
      proposed_new_state: dynamic(proposed),
      config: dynamic(config),
    })
    expect(errors(plan)).toEqual([])
    const planned = tfDecode(plan.planned_state.msgpack) as Value
    const apply = await call<{ new_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ApplyResourceChange', {
      type_name: typeName,
      prior_state: dynamic(prior),
      planned_state: { msgpack: plan.planned_state.msgpack },
      config: dynamic(config),
    })
    expect(errors(apply)).toEqual([])
    return tfDecode(apply.new_state.msgpack) as Value
  }

  const read = async (typeName: string, state: Value): Promise<Value | null> => {
    const response = await call<{ new_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ReadResource', { type_name: typeName, current_state: dynamic(state) })
    expect(errors(response)).toEqual([])
    return tfDecode(response.new_state.msgpack) as Value | null
  }

  beforeAll(async () => {
    const [provider, started] = await Promise.all([builtProvider(), startService({ env: { OPENC2C_SCHEDULER: 'off' } })])
    built = provider
    service = started
    api = new ServiceApi(service)
    plugin = await launchProvider(built.executable, { env: { OPENC2C_ENDPOINT: '', OPENC2C_ACCESS_ID: '', OPENC2C_ACCESS_KEY: '' } })
    const configured = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ConfigureProvider', {
      terraform_version: '1.11.4',
      config: dynamic({ endpoint: service.baseUrl, access_id: service.accessId, access_key: service.accessKey }),
      client_capabilities: { write_only_attributes_allowed: true },
    })
    expect(errors(configured)).toEqual([])
  })

  afterAll(async () => {
    if (plugin) expect((await plugin.shutdown()).code).toBe(0)
    await service?.destroy()
  })

  let collector: Value
  let source: Value

  it('creates a collector and reads it back unchanged', async () => {
    collector = await planAndApply('openc2c_collector', null, fullObject(COLLECTOR, { name: 'rpc-collector', fields: { team: 'sec' } }))
    expect(collector).toMatchObject({ name: 'rpc-collector', time_zone: 'UTC', fields: { team: 'sec' } })
    expect(collector.id).toMatch(/^\d+$/)
    expect(await read('openc2c_collector', collector)).toEqual(collector)
  })

  it('creates a typed source with a write-only key and never returns the key', async () => {
    const config = fullObject(CHATGPT, { collector_id: Number(collector.id), name: 'rpc-source', workspace_id: 'ws-rpc', api_key_wo: 'sk-rpc-secret', api_key_wo_version: 1 })
    source = await planAndApply('openc2c_chatgpt_compliance_source', null, config)
    expect(source).toMatchObject({ name: 'rpc-source', api_key_wo: null, api_key_wo_version: 1, polling_interval_hours: 1, event_types: ['CONVERSATION'], state: 'Pending' })
    const wire = (await api.getSource(String(collector.id), String(source.id))).body.source
    expect(wire.config).toMatchObject({ workspaceID: 'ws-rpc', apiKey: '********', pollingIntervalHour: '1h' })
    expect(await read('openc2c_chatgpt_compliance_source', source)).toEqual(source)
  })

  it('reports a source changed behind its back, and null once it is deleted', async () => {
    await api.changeSourceConfig(String(collector.id), String(source.id), (config) => ({ ...config, name: 'renamed' }))
    expect(await read('openc2c_chatgpt_compliance_source', source)).toMatchObject({ name: 'renamed' })
    await api.deleteSource(String(collector.id), String(source.id))
    expect(await read('openc2c_chatgpt_compliance_source', source)).toBeNull()
  })

  it('imports a collector by id; the following read fills in the attributes', async () => {
    const imported = await call<{ imported_resources: Array<{ state: { msgpack: Buffer } }>; diagnostics: Diag[] }>(plugin.provider, 'ImportResourceState', {
      type_name: 'openc2c_collector',
      id: String(collector.id),
    })
    expect(errors(imported)).toEqual([])
    const partial = tfDecode(imported.imported_resources[0]!.state.msgpack) as Value
    expect(partial).toEqual(fullObject(COLLECTOR, { id: collector.id }))
    expect(await read('openc2c_collector', partial)).toEqual(collector)
  })

  it('looks the collector up by name with ReadDataSource, and names the attribute when it is missing', async () => {
    const found = await call<{ state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ReadDataSource', {
      type_name: 'openc2c_collector',
      config: dynamic(fullObject(DATA_COLLECTOR, { name: 'rpc-collector' })),
    })
    expect(errors(found)).toEqual([])
    expect(tfDecode(found.state.msgpack)).toMatchObject({ id: collector.id, name: 'rpc-collector', time_zone: 'UTC', fields: { team: 'sec' } })
    const missing = await call<{ diagnostics: Diag[] }>(plugin.provider, 'ReadDataSource', {
      type_name: 'openc2c_collector',
      config: dynamic(fullObject(DATA_COLLECTOR, { name: 'nobody' })),
    })
    expect(errors(missing)[0]?.attribute?.steps[0]?.attribute_name).toBe('name')
  })

  it("trusts an https endpoint as Node itself would: NODE_EXTRA_CA_CERTS, or OpenSSL's store with --use-openssl-ca", async () => {
    const proxy = await startTlsProxy(service.baseUrl)
    const lookUp = async (env: NodeJS.ProcessEnv): Promise<Diag[]> => {
      const https = await launchProvider(built.executable, { env: { ...env, OPENC2C_ENDPOINT: '', OPENC2C_ACCESS_ID: '', OPENC2C_ACCESS_KEY: '' } })
      try {
        const configured = await call<{ diagnostics: Diag[] }>(https.provider, 'ConfigureProvider', {
          terraform_version: '1.11.4',
          config: dynamic({ endpoint: proxy.url, access_id: service.accessId, access_key: service.accessKey }),
          client_capabilities: { write_only_attributes_allowed: true },
        })
        expect(errors(configured)).toEqual([])
        const found = await call<{ state: { msgpack: Buffer }; diagnostics: Diag[] }>(https.provider, 'ReadDataSource', {
          type_name: 'openc2c_collector',
          config: dynamic(fullObject(DATA_COLLECTOR, { name: 'rpc-collector' })),
        })
        if (errors(found).length === 0) expect(tfDecode(found.state.msgpack)).toMatchObject({ id: collector.id })
        return errors(found)
      } finally {
        expect((await https.shutdown()).code).toBe(0)
      }
    }
    try {
      expect(await lookUp({ NODE_EXTRA_CA_CERTS: proxy.certificateFile, NODE_OPTIONS: '' })).toEqual([])
      expect(await lookUp({ NODE_EXTRA_CA_CERTS: '', NODE_OPTIONS: '--use-openssl-ca', SSL_CERT_FILE: proxy.certificateFile })).toEqual([])
      const untrusted = await lookUp({ NODE_EXTRA_CA_CERTS: '', NODE_OPTIONS: '' })
      expect(untrusted).toHaveLength(1)
      expect(untrusted[0]!.detail).toMatch(/certificate/i)
    } finally {
      await proxy.close()
    }
  })

  it('passes the API error and its attribute path on a failed apply', async () => {
    const config = fullObject(COLLECTOR, { name: 'rpc-collector' }) // duplicate name
    const planned = { ...config, id: UNKNOWN, time_zone: 'UTC' }
    const response = await call<{ new_state?: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ApplyResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(null),
      planned_state: dynamic(planned),
      config: dynamic(config),
    })
    const [diagnostic] = errors(response)
    expect(diagnostic?.summary).toBe('Creating the collector: must be unique')
    expect(diagnostic?.detail).toMatch(/already exists[\s\S]*collectors\.validation\.name\.duplicate/)
    expect(diagnostic?.attribute?.steps.map((s) => s.attribute_name)).toEqual(['name'])
    expect(tfDecode(response.new_state?.msgpack)).toBeNull()
  })

  it('updates in place and destroys', async () => {
    const renamed = await planAndApply('openc2c_collector', collector, fullObject(COLLECTOR, { name: 'rpc-collector-2', fields: { team: 'sec' } }))
    expect(renamed).toMatchObject({ id: collector.id, name: 'rpc-collector-2' })
    const plan = await call<{ planned_state: { msgpack: Buffer } }>(plugin.provider, 'PlanResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(renamed),
      proposed_new_state: dynamic(null),
      config: dynamic(null),
    })
    const destroyed = await call<{ new_state: { msgpack: Buffer }; diagnostics: Diag[] }>(plugin.provider, 'ApplyResourceChange', {
      type_name: 'openc2c_collector',
      prior_state: dynamic(renamed),
      planned_state: { msgpack: plan.planned_state.msgpack },
      config: dynamic(null),
    })
    expect(errors(destroyed)).toEqual([])
    expect(tfDecode(destroyed.new_state.msgpack)).toBeNull()
    expect((await api.getCollector(String(collector.id))).status).toBe(404)
  })
})
