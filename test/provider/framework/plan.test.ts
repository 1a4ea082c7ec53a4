// The generic planning rules and the self-checks that keep plans and applies consistent with what
// Terraform accepts.

import { describe, expect, it } from 'vitest'
import { planChange } from '../../../provider/framework/plan.js'
import { checkApply, checkPlan, checkState } from '../../../provider/framework/self-check.js'
import { schemaProblems, type BlockSchema } from '../../../provider/framework/schema.js'
import { chatgptComplianceSourceResource } from '../../../provider/resources/chatgpt-compliance-source.js'
import { cloudToCloudSourceResource } from '../../../provider/resources/cloud-to-cloud-source.js'
import { collectorDataSource } from '../../../provider/resources/collector-data-source.js'
import { collectorResource } from '../../../provider/resources/collector.js'
import { destinationResource } from '../../../provider/resources/destination.js'
import { providerSchema } from '../../../provider/resources/provider-config.js'
import { withoutWriteOnly } from '../../../provider/framework/write-only.js'
import { record, UNKNOWN, Unknown, type TfRecord } from '../../../provider/tfvalue/value.js'

const schema: BlockSchema = {
  version: 0,
  description: 'test',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'id' },
    name: { type: 'string', required: true, description: 'name' },
    zone: { type: 'string', optional: true, requiresReplace: true, description: 'zone' },
    hours: { type: 'number', optional: true, computed: true, default: 1, description: 'hours' },
    status: { type: 'string', computed: true, description: 'status' },
    secret: { type: 'string', optional: true, writeOnly: true, description: 'secret' },
  },
}

const full = (values: Partial<Record<keyof typeof schema.attributes, unknown>>): TfRecord =>
  record(Object.keys(schema.attributes).map((name) => [name, (values as Record<string, never>)[name] ?? null]))

describe('planChange', () => {
  it('plans a create with defaults, unknown computed values and no write-only value', () => {
    const config = full({ name: 'a', secret: 's3cret' })
    const { planned } = planChange(schema, null, config, config)
    expect(planned).toMatchObject({ name: 'a', hours: 1, secret: null })
    expect(planned?.id).toBeInstanceOf(Unknown)
    expect(planned?.status).toBeInstanceOf(Unknown)
  })

  it('plans nothing new when nothing changed, and keeps computed values', () => {
    const prior = full({ id: '1', name: 'a', hours: 1, status: 'ok' })
    const { planned, requiresReplace } = planChange(schema, prior, prior, full({ name: 'a', secret: 'x' }))
    expect(planned).toEqual(prior)
    expect(requiresReplace).toEqual([])
  })

  it('keeps the id but not other computed values through an in-place update', () => {
    const prior = full({ id: '1', name: 'a', hours: 1, status: 'ok' })
    const proposed = full({ id: '1', name: 'b', hours: 1, status: 'ok' })
    const { planned, requiresReplace } = planChange(schema, prior, proposed, full({ name: 'b' }))
    expect(requiresReplace).toEqual([])
    expect(planned?.id).toBe('1')
    expect(planned?.status).toBe(UNKNOWN)
  })

  it('asks for replacement when a requiresReplace attribute changes, with the id unknown', () => {
    const prior = full({ id: '1', name: 'a', zone: 'eu', hours: 1, status: 'ok' })
    const proposed = full({ id: '1', name: 'a', zone: 'us', hours: 1, status: 'ok' })
    const { planned, requiresReplace } = planChange(schema, prior, proposed, full({ name: 'a', zone: 'us' }))
    expect(requiresReplace).toEqual([[{ attribute: 'zone' }]])
    expect(planned?.id).toBeInstanceOf(Unknown)
  })

  it('treats an unknown new value of a requiresReplace attribute as a change', () => {
    const prior = full({ id: '1', name: 'a', zone: 'eu', hours: 1 })
    const proposed = full({ id: '1', name: 'a', zone: UNKNOWN, hours: 1 })
    expect(planChange(schema, prior, proposed, full({ name: 'a', zone: UNKNOWN })).requiresReplace).toHaveLength(1)
  })

  it('plans the default again when the configuration drops an optional+computed value', () => {
    const prior = full({ id: '1', name: 'a', hours: 6 })
    const { planned } = planChange(schema, prior, full({ id: '1', name: 'a', hours: 6 }), full({ name: 'a' }))
    expect(planned?.hours).toBe(1)
  })

  it('plans destroy as null', () => {
    expect(planChange(schema, full({ id: '1', name: 'a' }), null, null).planned).toBeNull()
  })
})

/** A schema with a nested block holding a write-only attribute, and a derived computed attribute. */
const nested: BlockSchema = {
  version: 0,
  description: 'test',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'id' },
    status: { type: 'string', computed: true, description: 'status' },
    secrets: { type: 'string', computed: true, description: 'which secrets' },
  },
  blocks: {
    kind: { description: 'kind', attributes: { url: { type: 'string', required: true, description: 'url' }, token: { type: 'string', optional: true, writeOnly: true, description: 'token' } } },
  },
}
const nestedRecord = (values: { id?: unknown; status?: unknown; secrets?: unknown; kind?: Record<string, unknown> | null }): TfRecord =>
  record({
    id: (values.id ?? null) as never,
    status: (values.status ?? null) as never,
    secrets: (values.secrets ?? null) as never,
    kind: values.kind === null || values.kind === undefined ? null : record({ url: null, token: null, ...values.kind } as never),
  })

describe('planChange with nested blocks', () => {
  it('copies a block from the configuration with its write-only values null, leaving the configuration as it was', () => {
    const config = nestedRecord({ kind: { url: 'u', token: 't' } })
    const { planned } = planChange(nested, null, config, config, { secrets: 'kind.token' })
    expect(planned?.kind).toEqual(record({ url: 'u', token: null }))
    expect((config.kind as TfRecord).token).toBe('t')
    expect(planned?.secrets).toBe('kind.token')
    expect(planned?.id).toBe(UNKNOWN)
    expect(checkPlan('t', nested, config, planned)).toEqual([])
  })

  it('plans nothing when only a write-only value changed, and an update when a block value or a derived value did', () => {
    const prior = nestedRecord({ id: '1', status: 'ok', secrets: 'kind.token', kind: { url: 'u' } })
    // Terraform's proposed state: the configuration, with the prior computed values copied in.
    const proposed = (kind: Record<string, unknown>) => nestedRecord({ id: '1', status: 'ok', secrets: 'kind.token', kind })
    const sameBlock = nestedRecord({ kind: { url: 'u', token: 'new' } })
    expect(planChange(nested, prior, proposed({ url: 'u', token: 'new' }), sameBlock, { secrets: 'kind.token' }).planned).toEqual(prior)

    const otherUrl = nestedRecord({ kind: { url: 'v', token: 't' } })
    const moved = planChange(nested, prior, proposed({ url: 'v', token: 't' }), otherUrl, { secrets: 'kind.token' }).planned
    expect(moved?.status).toBe(UNKNOWN)
    expect(moved?.secrets).toBe('kind.token')

    const noSecret = nestedRecord({ kind: { url: 'u' } })
    const derived = planChange(nested, prior, proposed({ url: 'u' }), noSecret, { secrets: '' }).planned
    expect(derived?.secrets).toBe('')
    expect(derived?.status).toBe(UNKNOWN)
    expect(derived?.id).toBe('1')
  })

  it('flags a planned, applied or stored write-only value inside a block, naming its path', () => {
    const config = nestedRecord({ kind: { url: 'u', token: 't' } })
    expect(checkPlan('t', nested, config, config)[0]).toMatchObject({ summary: expect.stringMatching(/write-only/), path: [{ attribute: 'kind' }, { attribute: 'token' }] })
    expect(checkPlan('t', nested, config, nestedRecord({ kind: { url: 'x' } }))[0]?.path).toEqual([{ attribute: 'kind' }])
    const planned = nestedRecord({ id: UNKNOWN, status: UNKNOWN, secrets: 's', kind: { url: 'u' } })
    expect(checkApply('t', nested, planned, nestedRecord({ id: '1', status: 'ok', secrets: 's', kind: { url: 'u', token: 't' } })).map((d) => d.summary)).toEqual([
      'openc2c provider bug: state contains a write-only value',
    ])
    expect(checkState('t', nested, nestedRecord({ id: '1', kind: { url: 'u', token: 't' } }))[0]?.detail).toMatch(/kind\.token/)
    expect(withoutWriteOnly(nested, config).kind).toEqual(record({ url: 'u', token: null }))
  })
})

describe('self-checks', () => {
  it('flags a plan that changes a configured value or plans a write-only value', () => {
    const config = full({ name: 'a', secret: 's' })
    expect(checkPlan('t', schema, config, full({ name: 'b', secret: null }))[0]?.summary).toMatch(/differs from the configuration/)
    expect(checkPlan('t', schema, config, full({ name: 'a', secret: 's' }))[0]?.summary).toMatch(/write-only/)
    expect(checkPlan('t', schema, config, full({ name: 'a', id: UNKNOWN, hours: 1 }))).toEqual([])
  })

  it('flags an apply that changes a planned value or leaves an unknown', () => {
    const planned = full({ id: UNKNOWN, name: 'a', hours: 1, status: UNKNOWN })
    expect(checkApply('t', schema, planned, full({ id: '1', name: 'a', hours: 1, status: 'ok' }))).toEqual([])
    expect(checkApply('t', schema, planned, full({ id: '1', name: 'A', hours: 1, status: 'ok' }))[0]?.path).toEqual([{ attribute: 'name' }])
    expect(checkApply('t', schema, planned, full({ id: UNKNOWN, name: 'a', hours: 1, status: 'ok' }))[0]?.summary).toMatch(/unknown/)
  })

  it('flags state with unknown or write-only values', () => {
    expect(checkState('t', schema, full({ id: '1', name: 'a', secret: 'x' }))[0]?.summary).toMatch(/write-only/)
  })
})

describe('schemas', () => {
  it.each([
    ['provider', providerSchema, 'provider'],
    ['openc2c_collector', collectorResource.schema, 'resource'],
    ['openc2c_cloud_to_cloud_source', cloudToCloudSourceResource.schema, 'resource'],
    ['openc2c_chatgpt_compliance_source', chatgptComplianceSourceResource.schema, 'resource'],
    ['openc2c_destination', destinationResource.schema, 'resource'],
    ['data openc2c_collector', collectorDataSource.schema, 'data source'],
  ] as const)('%s follows the rules Terraform enforces', (_name, blockSchema, kind) => {
    expect(schemaProblems(blockSchema, kind)).toEqual([])
  })

  it('finds problems in a broken schema', () => {
    const broken: BlockSchema = {
      version: 0,
      description: 'x',
      attributes: { Bad: { type: 'string', description: '' }, both: { type: 'string', required: true, computed: true, description: 'd' }, wo: { type: 'string', optional: true, computed: true, writeOnly: true, description: 'd' } },
    }
    expect(schemaProblems(broken, 'resource')).toHaveLength(5)
    const badBlock: BlockSchema = {
      version: 0,
      description: 'x',
      attributes: { kind: { type: 'string', optional: true, description: 'd' } },
      blocks: { kind: { description: 'k', attributes: { n: { type: 'number', optional: true, computed: true, description: 'd' } } } },
    }
    expect(schemaProblems(badBlock, 'resource')).toEqual(['kind: a block and an attribute share the name', 'kind.n: attributes in a block are configuration only'])
  })
})
