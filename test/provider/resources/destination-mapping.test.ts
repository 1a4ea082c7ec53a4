// openc2c_destination without Terraform: the API bodies it sends (which secret goes out as its value, which
// as the mask), the state it reads back (the state's spelling of "nothing" kept), the plan-time checks, the
// error paths, and that its kind table covers the shared contract.

import { describe, expect, it } from 'vitest'
import type { Destination } from '../../../schemas/destination.js'
import { Diagnostics } from '../../../provider/framework/diagnostics.js'
import { completeRecord } from '../../../provider/framework/plan.js'
import { contractViolation } from '../../../provider/resources/contract-check.js'
import { destinationErrorPaths, destinationResource } from '../../../provider/resources/destination.js'
import { CONTRACT, destinationSchema, KINDS } from '../../../provider/resources/destination-schema.js'
import { validateDestination } from '../../../provider/resources/destination-validation.js'
import { configuredSecretNames, destinationStateFromWire, storedSecretNames, wireDestination } from '../../../provider/resources/destination-wire.js'
import { record, UNKNOWN, type TfRecord, type TfValue } from '../../../provider/tfvalue/value.js'

/** A whole resource value: every attribute and block, blocks filled in with nulls. */
function destination(values: Record<string, unknown>): TfRecord {
  const out: Record<string, TfValue> = {}
  for (const [name, value] of Object.entries(values)) {
    const block = destinationSchema.blocks?.[name]
    out[name] = block && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value === UNKNOWN)
      ? record(Object.keys(block.attributes).map((a) => [a, ((value as Record<string, TfValue>)[a] ?? null) as TfValue]))
      : (value as TfValue)
  }
  return completeRecord(destinationSchema, out)
}

function apiDestination(fields: Partial<Destination> & Pick<Destination, 'type' | 'config'>): Destination {
  return {
    id: 300000001,
    name: 'd',
    enabled: true,
    filter: {},
    startFrom: 'earliest',
    state: { state: 'Delivering' },
    delivery: { lastSuccessAt: null, eventsDelivered: 0, lagEvents: 0, lagSeconds: 0, consecutiveFailures: 0, deadLetters: 0, delivering: true },
    ...fields,
  }
}

function problems(values: Record<string, unknown>): Array<{ severity: string; summary: string; path: string }> {
  const diagnostics = new Diagnostics()
  validateDestination(destination(values), diagnostics)
  return diagnostics.items.map((d) => ({ severity: d.severity, summary: d.summary, path: (d.path ?? []).map((s) => ('attribute' in s ? s.attribute : 'key' in s ? `[${s.key}]` : s.index)).join('.') }))
}

const webhook = { url: 'https://hooks.example/in', headers_wo: record({ Authorization: 'token-1', 'X-Team': 'sec' }), gzip: true, signing_key_wo: 'k1' }

describe('API bodies', () => {
  it('creates with every secret value, the filter sorted and without unset keys, and no startFrom when unknown', () => {
    const planned = destination({ name: 'hook', type: 'webhook', enabled: true, start_from: UNKNOWN, webhook: { ...webhook, headers_wo: null, signing_key_wo: null }, filter: { collector_ids: [3, 1], event_types: ['AUDIT'] } })
    const config = destination({ name: 'hook', type: 'webhook', webhook, filter: { collector_ids: [3, 1], event_types: ['AUDIT'] } })
    expect(wireDestination(planned, config, { sendValues: true })).toEqual({
      name: 'hook',
      type: 'webhook',
      enabled: true,
      config: { url: 'https://hooks.example/in', headers: { Authorization: 'token-1', 'X-Team': 'sec' }, gzip: true, signingKey: 'k1' },
      filter: { collectorIds: [1, 3], eventTypes: ['AUDIT'] },
    })
  })

  it('updates with the mask for the secrets the service holds, and the value of the ones it lacks', () => {
    const planned = destination({ name: 'hook', type: 'webhook', enabled: false, start_from: 'now', webhook: { url: webhook.url } })
    const config = destination({ name: 'hook', type: 'webhook', enabled: false, webhook })
    const held = { type: 'webhook', config: { url: webhook.url, headers: { Authorization: '********' }, signingKey: '********' } }
    expect(wireDestination(planned, config, { sendValues: false, held })).toEqual({
      name: 'hook',
      type: 'webhook',
      enabled: false,
      startFrom: 'now',
      config: { url: webhook.url, headers: { Authorization: '********', 'X-Team': 'sec' }, gzip: true, signingKey: '********' },
    })
    // A new version sends every value, held or not.
    expect(wireDestination(planned, config, { sendValues: true, held }).config).toMatchObject({ headers: { Authorization: 'token-1', 'X-Team': 'sec' }, signingKey: 'k1' })
  })

  it('sends the secrets of the kind block only, keyed as the API names them', () => {
    const es = { url: 'http://es:9200', index: 'audit', username: 'u', password_wo: 'p' }
    expect(wireDestination(destination({ name: 'es', type: 'elasticsearch' }), destination({ type: 'elasticsearch', elasticsearch: es }), { sendValues: true }).config).toEqual({
      url: 'http://es:9200',
      index: 'audit',
      username: 'u',
      password: 'p',
    })
    expect(wireDestination(destination({ name: 's', type: 'sumo_http' }), destination({ type: 'sumo_http', sumo_http: { url_wo: 'https://collectors/receiver/v1/http/abc' } }), { sendValues: true }).config).toEqual({
      url: 'https://collectors/receiver/v1/http/abc',
    })
    expect(wireDestination(destination({ name: 'f', type: 'file' }), destination({ type: 'file', file: { directory: '/var/out', max_file_bytes: 4096 } }), { sendValues: true }).config).toEqual({
      directory: '/var/out',
      maxFileBytes: 4096,
    })
  })
})

describe('secret names', () => {
  it('names the configured secrets, header by header, and is unknown while one is', () => {
    expect(configuredSecretNames(destination({ type: 'webhook', webhook }))).toEqual(['webhook.headers_wo.Authorization', 'webhook.headers_wo.X-Team', 'webhook.signing_key_wo'])
    expect(configuredSecretNames(destination({ type: 'file', file: { directory: '/x' } }))).toEqual([])
    expect(configuredSecretNames(destination({ type: 'splunk_hec', splunk_hec: { url: 'u', token_wo: UNKNOWN } }))).toBe(UNKNOWN)
  })

  it('reads the secrets the service holds from its masks', () => {
    expect(storedSecretNames({ type: 'webhook', config: { url: 'u', headers: { B: '********', A: '********' } } })).toEqual(['webhook.headers_wo.A', 'webhook.headers_wo.B'])
    expect(storedSecretNames({ type: 'elasticsearch', config: { url: 'u', index: 'i', apiKey: '********' } })).toEqual(['elasticsearch.api_key_wo'])
  })
})

describe('state from the API', () => {
  const hec = (config: Record<string, unknown>, extra: Partial<Destination> = {}) => apiDestination({ type: 'splunk_hec', config: { url: 'https://splunk:8088', token: '********', ...config }, ...extra })

  it('maps the destination, with write-only attributes null and the version kept from the state', () => {
    const state = destinationStateFromWire(hec({ indexerAck: true, index: 'main' }, { filter: { eventTypes: ['AUDIT'] } }), destination({ secrets_wo_version: 4 }))
    expect(state).toMatchObject({ id: '300000001', name: 'd', type: 'splunk_hec', enabled: true, start_from: 'earliest', state: 'Delivering', secrets_wo_version: 4, stored_secrets: ['splunk_hec.token_wo'] })
    expect(state.splunk_hec).toEqual(record({ url: 'https://splunk:8088', token_wo: null, indexer_ack: true, index: 'main', sourcetype: null, source: null }))
    expect(state.filter).toEqual(record({ collector_ids: null, source_ids: null, source_category: null, event_types: ['AUDIT'] }))
    for (const other of ['elasticsearch', 'sumo_http', 'webhook', 'file']) expect(state[other]).toBeNull()
  })

  it("keeps the state's spelling where the API's value means the same: defaults, absent keys, empty filters", () => {
    const explicitDefault = destination({ splunk_hec: { url: 'https://splunk:8088', indexer_ack: false }, filter: { event_types: [] } })
    const state = destinationStateFromWire(hec({}), explicitDefault)
    expect((state.splunk_hec as TfRecord).indexer_ack).toBe(false)
    expect(state.filter).toEqual(record({ collector_ids: null, source_ids: null, source_category: null, event_types: [] }))
    const unset = destinationStateFromWire(hec({ indexerAck: false }, { filter: { collectorIds: [] } }), destination({ splunk_hec: { url: 'https://splunk:8088' } }))
    expect((unset.splunk_hec as TfRecord).indexer_ack).toBeNull()
    expect(unset.filter).toBeNull()
    // A value changed outside Terraform shows.
    expect((destinationStateFromWire(hec({ indexerAck: true }), explicitDefault).splunk_hec as TfRecord).indexer_ack).toBe(true)
    const file = destinationStateFromWire(apiDestination({ type: 'file', config: { directory: '/out', maxFileBytes: 104857600 } }), destination({}))
    expect((file.file as TfRecord).max_file_bytes).toBeNull()
  })

  it('refuses a type it does not know, saying to upgrade', () => {
    expect(() => destinationStateFromWire(apiDestination({ type: 'kafka', config: {} }), destination({}))).toThrow(/Unsupported destination type/)
  })
})

describe('plan-time checks', () => {
  const valid = { name: 'hook', type: 'webhook', secrets_wo_version: 1, webhook }

  it('accepts a valid destination, and unknown values anywhere', () => {
    expect(problems(valid)).toEqual([])
    expect(problems({ name: UNKNOWN, type: UNKNOWN, secrets_wo_version: UNKNOWN, webhook: UNKNOWN })).toEqual([])
    expect(problems({ ...valid, webhook: { url: UNKNOWN, headers_wo: UNKNOWN, signing_key_wo: UNKNOWN }, filter: { collector_ids: [UNKNOWN, 2] } })).toEqual([])
  })

  it('wants exactly the block the type names', () => {
    expect(problems({ name: 'x', type: 'webhook' })).toEqual([{ severity: 'error', summary: 'Missing webhook block', path: 'type' }])
    expect(problems({ ...valid, file: { directory: '/out' } })).toEqual([{ severity: 'error', summary: 'Unexpected file block', path: 'file.directory' }])
    expect(problems({ name: 'x', type: 'kafka' })).toEqual([{ severity: 'error', summary: 'Invalid type', path: 'type' }])
    expect(problems({ name: 'x', type: UNKNOWN, secrets_wo_version: 1, webhook, file: { directory: '/out' } })).toEqual([{ severity: 'error', summary: 'More than one kind block', path: 'file.directory' }])
  })

  it('wants one way to authenticate to Elasticsearch', () => {
    const es = (auth: Record<string, unknown>) => problems({ name: 'es', type: 'elasticsearch', secrets_wo_version: 1, elasticsearch: { url: 'http://es:9200', index: 'audit', ...auth } })
    expect(es({ api_key_wo: 'k' })).toEqual([])
    expect(es({ username: 'u', password_wo: 'p' })).toEqual([])
    expect(es({ api_key_wo: 'k', username: 'u', password_wo: 'p' })).toEqual([{ severity: 'error', summary: 'Two ways to authenticate', path: 'elasticsearch.username' }])
    expect(es({})).toEqual([{ severity: 'error', summary: 'Missing authentication', path: 'elasticsearch.url' }])
    expect(es({ username: 'u' })).toEqual([{ severity: 'error', summary: 'Missing elasticsearch.password_wo', path: 'elasticsearch.password_wo' }])
    expect(es({ password_wo: 'p' })).toEqual([{ severity: 'error', summary: 'Missing elasticsearch.username', path: 'elasticsearch.username' }])
  })

  it('wants a version with write-only secrets, and says when one has nothing to version', () => {
    expect(problems({ ...valid, secrets_wo_version: null })).toEqual([{ severity: 'error', summary: 'Missing secrets_wo_version', path: 'webhook.headers_wo' }])
    expect(problems({ name: 'hook', type: 'webhook', webhook: { url: webhook.url } })).toEqual([])
    expect(problems({ name: 'f', type: 'file', secrets_wo_version: 2, file: { directory: '/out' } })).toEqual([
      { severity: 'warning', summary: 'secrets_wo_version has nothing to version', path: 'secrets_wo_version' },
    ])
  })

  it("applies the contract's rules where they hold the value, never quoting a secret", () => {
    const found = problems({
      name: ' ',
      type: 'webhook',
      start_from: 'latest',
      secrets_wo_version: 1,
      webhook: { url: 'ftp://x', headers_wo: record({ 'bad name': 'v', Good: ' leading space', Masked: '********' }), signing_key_wo: 'k' },
      filter: { collector_ids: [0], event_types: ['AU DIT'], source_category: '' },
    })
    expect(found.map((p) => p.path)).toEqual([
      'name',
      'start_from',
      'webhook.url',
      'webhook.headers_wo.[bad name]',
      'webhook.headers_wo.[Good]',
      'webhook.headers_wo.[Masked]',
      'filter.collector_ids',
      'filter.source_category',
      'filter.event_types',
    ])
    const diagnostics = new Diagnostics()
    validateDestination(destination({ name: 'x', type: 'splunk_hec', secrets_wo_version: 1, splunk_hec: { url: 'https://s', token_wo: 'sec ret-token' } }), diagnostics)
    expect(diagnostics.items).toHaveLength(1)
    expect(JSON.stringify(diagnostics.items)).not.toContain('sec ret-token')
  })

  it('explains array and enum violations', () => {
    expect(contractViolation({ type: 'array', maxItems: 1, items: { type: 'integer' } }, [1, 2])).toBe('must have at most 1 elements')
    expect(contractViolation({ type: 'array', items: { type: 'integer', minimum: 1 } }, [1, 0])).toBe('has 0, which must be at least 1')
    expect(contractViolation({ type: 'string', enum: ['a', 'b'] }, 'c')).toBe('must be one of "a", "b"')
  })
})

describe('API errors', () => {
  it('point at the attribute that holds the field, inside its block', () => {
    const paths = destinationErrorPaths('webhook')
    expect(paths(['destination', 'config', 'headers', 'Content-Type'])).toEqual([{ attribute: 'webhook' }, { attribute: 'headers_wo' }, { key: 'Content-Type' }])
    expect(paths(['destination', 'config', 'signingKey'])).toEqual([{ attribute: 'webhook' }, { attribute: 'signing_key_wo' }])
    expect(paths(['destination', 'filter', 'eventTypes', 0])).toEqual([{ attribute: 'filter' }, { attribute: 'event_types' }])
    expect(paths(['destination', 'name'])).toEqual([{ attribute: 'name' }])
    expect(paths(['destination', 'startFrom'])).toEqual([{ attribute: 'start_from' }])
    expect(destinationErrorPaths('elasticsearch')(['destination', 'config', 'password'])).toEqual([{ attribute: 'elasticsearch' }, { attribute: 'password_wo' }])
    expect(paths(['collector', 'name'])).toBeUndefined()
  })

  it('imports by numeric id only', () => {
    const ctx = { signal: new AbortController().signal, diagnostics: new Diagnostics(), log: { log() {} } }
    expect(destinationResource.importState(' 300000007 ', ctx)).toEqual(record({ id: '300000007' }))
    expect(() => destinationResource.importState('splunk', ctx)).toThrow(/Invalid import id/)
  })
})

describe('the kind table against the shared contract', () => {
  it('has one block per kind, and one attribute per config key, required where the contract requires it', () => {
    expect(KINDS.map((k) => k.kind)).toEqual(CONTRACT.kinds)
    for (const spec of KINDS) {
      const contract = CONTRACT.configs[spec.kind]!
      expect(spec.fields.map((f) => f.wire).sort(), spec.kind).toEqual(Object.keys(contract.rules).sort())
      const block = destinationSchema.blocks![spec.kind]!
      for (const field of spec.fields) {
        expect(Boolean(block.attributes[field.attribute]!.required), `${spec.kind}.${field.attribute}`).toBe(contract.required.includes(field.wire))
        expect(Boolean(block.attributes[field.attribute]!.writeOnly), `${spec.kind}.${field.attribute}`).toBe(field.attribute.endsWith('_wo'))
      }
    }
  })
})
