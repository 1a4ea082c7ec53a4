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
import { providerSchema } from '../../../provider/resources/provider-config.js'
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
  })
})
