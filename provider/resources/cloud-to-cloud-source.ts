// openc2c_cloud_to_cloud_source: the generic Cloud-to-Cloud source, shaped like the Sumo provider's
// sumologic_cloud_to_cloud_source so that Sumo's documented example works renamed:
// collector_id (number), schema_ref = { type = "..." } (a map attribute, not a block), config (JSON text).
//
// Unlike Sumo's provider, reads compare the config: a change made outside Terraform shows as a diff. The
// comparison is semantic (key order and whitespace don't matter) and ignores the masked secret.

import { attributePath, type AttributePath } from '../framework/attribute-path.js'
import type { Diagnostics } from '../framework/diagnostics.js'
import type { ManagedResource } from '../framework/resource.js'
import type { BlockSchema } from '../framework/schema.js'
import type { ApiClient } from '../client/api-client.js'
import { createSource, deleteSource, getSource, updateSource, type SourceBody } from '../client/sources-api.js'
import type { Source } from '../../schemas/source.js'
import { callApi, type JsonPathMapper } from './api-diagnostics.js'
import { canonicalJson, jsonEqual, parseJsonObject, unmask, type Json } from './config-json.js'
import { parseSourceImportId } from './import-id.js'
import { numberAttr, stringAttr } from './values.js'
import { mapOf } from '../tfvalue/types.js'
import { isRecord, isUnknown, record, type TfRecord } from '../tfvalue/value.js'

export const cloudToCloudSourceSchema: BlockSchema = {
  version: 0,
  description: 'A Cloud-to-Cloud source with its configuration as JSON, compatible with `sumologic_cloud_to_cloud_source`.',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'Numeric source id assigned by the service.' },
    collector_id: { type: 'number', required: true, requiresReplace: true, description: 'Id of the collector the source belongs to.' },
    schema_ref: {
      type: mapOf('string'),
      required: true,
      requiresReplace: true,
      description: 'The integration, e.g. `{ type = "ChatGPT Compliance" }`. Only the `type` key is allowed.',
    },
    config: {
      type: 'string',
      required: true,
      // It carries the integration's API key: keep it out of plan output.
      sensitive: true,
      description: 'The source configuration as JSON, usually `jsonencode({...})`. Compared by meaning; the masked secret the API returns never causes a diff.',
    },
  },
}

const errorPaths: JsonPathMapper = (segments) => {
  if (segments[0] !== 'source') return undefined
  if (segments[1] === 'config') return attributePath('config')
  if (segments[1] === 'schemaRef') return segments[2] === 'type' ? attributePath('schema_ref', 'type') : attributePath('schema_ref')
  return undefined
}

function wireFromPlan(planned: TfRecord): SourceBody {
  const schemaRef = isRecord(planned.schema_ref) ? stringAttr(planned.schema_ref.type) : null
  return { schemaRef: { type: schemaRef ?? '' }, config: parseJsonObject(stringAttr(planned.config) ?? '') ?? {} }
}

function location(state: TfRecord): { collectorId: string; sourceId: string } {
  return { collectorId: String(numberAttr(state.collector_id)), sourceId: stringAttr(state.id) ?? '' }
}

/** State from the API's source. The config string stays as the state spells it while it means the same. */
export function sourceStateFromWire(wire: Source, prior: TfRecord): TfRecord {
  const priorText = stringAttr(prior.config)
  const priorConfig = priorText === null ? undefined : parseJsonObject(priorText)
  const apiConfig = unmask((wire.config ?? {}) as Json, priorConfig) as Json
  const config = priorText !== null && priorConfig !== undefined && jsonEqual(apiConfig, priorConfig) ? priorText : canonicalJson(apiConfig)
  return record({
    id: String(wire.id),
    collector_id: prior.collector_id ?? null,
    schema_ref: record({ type: wire.schemaRef?.type ?? '' }),
    config,
  })
}

export const cloudToCloudSourceResource: ManagedResource<ApiClient> = {
  typeName: 'openc2c_cloud_to_cloud_source',
  schema: cloudToCloudSourceSchema,

  validateConfig(config: TfRecord, diagnostics: Diagnostics) {
    validateCollectorId(config, diagnostics)
    const schemaRef = config.schema_ref
    if (isRecord(schemaRef)) {
      for (const key of Object.keys(schemaRef)) {
        if (key !== 'type') diagnostics.error('Unsupported schema_ref key', `Only \`type\` is allowed in schema_ref (got \`${key}\`).`, attributePath('schema_ref', key))
      }
      if (!('type' in schemaRef)) diagnostics.error('Missing schema_ref type', 'Set schema_ref = { type = "<integration>" }, e.g. "ChatGPT Compliance".', attributePath('schema_ref'))
      else if (schemaRef.type === '' || schemaRef.type === null) diagnostics.error('Empty schema_ref type', 'schema_ref.type names the integration, e.g. "ChatGPT Compliance".', attributePath('schema_ref', 'type'))
    }
    const text = config.config
    if (typeof text === 'string' && parseJsonObject(text) === undefined) {
      diagnostics.error('Invalid config JSON', 'config must be a JSON object, e.g. jsonencode({ name = "..." }).', attributePath('config'))
    }
  },

  async create(api, planned, _config, ctx) {
    const collectorId = String(numberAttr(planned.collector_id))
    const created = await callApi('Creating the source', errorPaths, () => createSource(api, collectorId, wireFromPlan(planned), ctx.signal))
    return record({ ...planned, id: String(created.id) })
  },

  async read(api, state, ctx) {
    const { collectorId, sourceId } = location(state)
    const wire = await callApi('Reading the source', errorPaths, () => getSource(api, collectorId, sourceId, ctx.signal))
    return wire ? sourceStateFromWire(wire, state) : null
  },

  async update(api, prior, planned, _config, ctx) {
    const { collectorId, sourceId } = location(prior)
    await callApi('Updating the source', errorPaths, () => updateSource(api, collectorId, sourceId, wireFromPlan(planned), ctx.signal))
    return record({ ...planned, id: sourceId })
  },

  async delete(api, prior, ctx) {
    const { collectorId, sourceId } = location(prior)
    await callApi('Deleting the source', errorPaths, () => deleteSource(api, collectorId, sourceId, ctx.signal))
  },

  importState(id: string) {
    const { collectorId, sourceId } = parseSourceImportId(id, 'openc2c_cloud_to_cloud_source')
    return record({ id: sourceId, collector_id: collectorId })
  },
}

export function validateCollectorId(config: TfRecord, diagnostics: Diagnostics, path: AttributePath = attributePath('collector_id')): void {
  const value = config.collector_id
  if (isUnknown(value) || value === null || value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    diagnostics.error('Invalid collector_id', 'collector_id is the positive integer id of a collector, e.g. openc2c_collector.x.id.', path)
  }
}
