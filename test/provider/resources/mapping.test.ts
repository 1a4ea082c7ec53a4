// Mapping between Terraform values and the API: config JSON comparison, masked secrets, error paths,
// the typed source's wire config and the contract checks.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fieldMapper, parseJsonPath } from '../../../provider/resources/api-diagnostics.js'
import { chatgptStateFromWire, wireConfig } from '../../../provider/resources/chatgpt-compliance-source.js'
import { chatgptContract } from '../../../provider/resources/chatgpt-contract.js'
import { canonicalJson, jsonEqual, unmask, type Json } from '../../../provider/resources/config-json.js'
import { contractViolation } from '../../../provider/resources/contract-check.js'
import { sourceStateFromWire } from '../../../provider/resources/cloud-to-cloud-source.js'
import { collectorStateFromWire } from '../../../provider/resources/collector.js'
import { record } from '../../../provider/tfvalue/value.js'
import { apiCollector, apiSource } from '../helpers/api-objects.js'

describe('config JSON', () => {
  it('writes JSON the way jsonencode does: sorted keys, compact, <>& escaped', () => {
    expect(canonicalJson({ b: 1, a: ['<x>', { d: '&', c: null }] })).toBe('{"a":["\\u003cx\\u003e",{"c":null,"d":"\\u0026"}],"b":1}')
  })

  it('compares configs by meaning, not by text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const reordered = JSON.parse(canonicalJson(value as Json)) as Json
        expect(jsonEqual(value as Json, reordered)).toBe(true)
      }),
    )
    // A "__proto__" key (JSON.parse makes it an own property) survives canonicalisation (found by the property above).
    const proto = JSON.parse('{"__proto__":0,"a":{"__proto__":[1]}}') as Json
    expect(canonicalJson(proto)).toBe('{"__proto__":0,"a":{"__proto__":[1]}}')
    expect(jsonEqual(proto, JSON.parse(canonicalJson(proto)) as Json)).toBe(true)
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false)
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false)
  })

  it('fills masked secrets from the prior config, at the same place only', () => {
    const prior = { apiKey: 'sk-real', nested: { token: 't' }, list: ['a'] }
    expect(unmask({ apiKey: '********', nested: { token: '********' }, list: ['********'], other: '********' }, prior)).toEqual({
      apiKey: 'sk-real',
      nested: { token: 't' },
      list: ['a'],
      other: '********',
    })
  })

  it('keeps the state text while the service returns the same config, masked secret included', () => {
    const text = '{"apiKey":"sk-1","name":"n","workspaceID":"w"}'
    const prior = record({ id: '5', collector_id: 1, schema_ref: record({ type: 'ChatGPT Compliance' }), config: text })
    const same = sourceStateFromWire(apiSource({ id: 5, schemaRef: { type: 'ChatGPT Compliance' }, config: { workspaceID: 'w', name: 'n', apiKey: '********' } }), prior)
    expect(same.config).toBe(text)
    const drifted = sourceStateFromWire(apiSource({ id: 5, schemaRef: { type: 'ChatGPT Compliance' }, config: { workspaceID: 'w', name: 'changed', apiKey: '********' } }), prior)
    expect(JSON.parse(drifted.config as string)).toEqual({ apiKey: 'sk-1', name: 'changed', workspaceID: 'w' })
  })
})

describe('API error paths', () => {
  it('parses JSONPath into segments', () => {
    expect(parseJsonPath('$.source.config.apiKey')).toEqual(['source', 'config', 'apiKey'])
    expect(parseJsonPath("$.collector.fields['a b'][2]")).toEqual(['collector', 'fields', 'a b', 2])
  })

  it('maps wire fields to attributes, stopping at sets', () => {
    const map = fieldMapper(['source', 'config'], { workspaceID: 'workspace_id', fields: 'fields', enabledEventType: 'event_types' }, { wholeAttributes: ['event_types'] })
    expect(map(['source', 'config', 'workspaceID'])).toEqual([{ attribute: 'workspace_id' }])
    expect(map(['source', 'config', 'fields', '_siemForward'])).toEqual([{ attribute: 'fields' }, { key: '_siemForward' }])
    expect(map(['source', 'config', 'enabledEventType', 1])).toEqual([{ attribute: 'event_types' }])
    expect(map(['source', 'schemaRef'])).toBeUndefined()
  })
})

describe('typed ChatGPT source mapping', () => {
  const planned = record({
    id: null,
    collector_id: 1,
    name: 'n',
    description: null,
    category: '',
    fields: record({ _siemForward: 'true', team: 'sec' }),
    workspace_id: 'ws',
    api_key: null,
    api_key_wo: null,
    api_key_wo_version: 1,
    polling_interval_hours: 6,
    event_types: ['AUTH', 'CONVERSATION'],
    state: null,
  })

  it('writes the documented wire keys, _siemForward as a boolean, event types in documented order', () => {
    expect(wireConfig(planned, 'sk-1')).toEqual({
      name: 'n',
      fields: { _siemForward: true, team: 'sec' },
      workspaceID: 'ws',
      apiKey: 'sk-1',
      pollingIntervalHour: '6h',
      enabledEventType: ['CONVERSATION', 'AUTH'],
    })
  })

  it('reads either spelling back and keeps what the service cannot return', () => {
    const state = chatgptStateFromWire(
      apiSource({ id: 9, config: { name: 'n', workspaceId: 'ws', apiKey: '********', pollingInterval: 6, fields: { _siemForward: true, team: 'sec' }, enabledEventType: ['CONVERSATION', 'AUTH'] }, state: { state: 'Collecting' } }),
      planned,
    )
    expect(state).toMatchObject({ id: '9', workspace_id: 'ws', polling_interval_hours: 6, api_key_wo_version: 1, api_key_wo: null, state: 'Collecting', category: '', description: null })
    expect(state.fields).toEqual({ _siemForward: 'true', team: 'sec' })
    expect(state.event_types).toEqual(['AUTH', 'CONVERSATION']) // the state's order, same set
  })

  it('defaults like the service when keys are absent, and refuses other source types', () => {
    const state = chatgptStateFromWire(apiSource({ id: 9, config: { name: 'n', workspaceID: 'ws' } }), record({ collector_id: 1 }))
    expect(state).toMatchObject({ polling_interval_hours: 1, event_types: ['CONVERSATION'], fields: null })
    expect(() => chatgptStateFromWire(apiSource({ id: 9, schemaRef: { type: 'Okta' }, config: {} }), record({}))).toThrow(/Not a ChatGPT Compliance source/)
  })
})

describe('collector mapping', () => {
  it('reads empty strings and maps as the prior state spells them', () => {
    const wire = apiCollector({ id: 3, name: 'c', description: '', timeZone: 'UTC', fields: {} })
    expect(collectorStateFromWire(wire, null)).toMatchObject({ id: '3', description: null, category: null, fields: null, time_zone: 'UTC' })
    expect(collectorStateFromWire(wire, record({ description: '', fields: record({}) }))).toMatchObject({ description: '', fields: {} })
  })
})

describe('shared contract', () => {
  const contract = chatgptContract()

  it('carries the service schema rules the provider checks', () => {
    expect(contract.schemaType).toBe('ChatGPT Compliance')
    expect(contract.eventTypes).toContain('CODEX_SECURITY')
    expect(contract.rules.workspaceID?.pattern).toBeTruthy()
    expect(contract.rules.pollingInterval).toMatchObject({ minimum: 1, maximum: 24 })
  })

  it('checks values with the contract wording', () => {
    expect(contractViolation(contract.rules.workspaceID, 'has space')).toMatch(/letters, digits/)
    expect(contractViolation(contract.rules.workspaceID, 'ws-1')).toBeUndefined()
    expect(contractViolation(contract.rules.pollingInterval, 25)).toBeTruthy()
    expect(contractViolation(contract.rules.pollingInterval, 2.5)).toBeTruthy()
    expect(contractViolation(contract.rules.name, '   ')).toMatch(/not blank/)
  })
})
