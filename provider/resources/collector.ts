// openc2c_collector: a hosted collector, like the Sumo provider's sumologic_collector. Every attribute updates
// in place; the id is the API's numeric id as a string, as Sumo's is.

import { attributePath } from '../framework/attribute-path.js'
import { DiagnosticError, type Diagnostics } from '../framework/diagnostics.js'
import type { ManagedResource } from '../framework/resource.js'
import type { BlockSchema } from '../framework/schema.js'
import type { ApiClient } from '../client/api-client.js'
import { createCollector, deleteCollector, getCollector, getCollectorByName, updateCollector } from '../client/collectors-api.js'
import type { Collector, CollectorInput } from '../../schemas/collector.js'
import { callApi, fieldMapper } from './api-diagnostics.js'
import { keepEmptyMap, keepEmptyString, omitEmpty, stringAttr, stringMapAttr } from './values.js'
import { mapOf } from '../tfvalue/types.js'
import { record, type TfRecord } from '../tfvalue/value.js'

// The service stores "UTC" when a collector is created without a time zone.
export const DEFAULT_TIME_ZONE = 'UTC'

export const collectorSchema: BlockSchema = {
  version: 0,
  description: 'A hosted collector. Sources belong to a collector.',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'Numeric collector id assigned by the service.' },
    name: { type: 'string', required: true, description: 'Collector name, unique in the account (at most 128 characters).' },
    description: { type: 'string', optional: true, description: 'Free text (at most 1024 characters).' },
    category: { type: 'string', optional: true, description: 'Default source category (`_sourceCategory`) for its sources.' },
    time_zone: {
      type: 'string',
      optional: true,
      computed: true,
      default: DEFAULT_TIME_ZONE,
      description: 'IANA time zone name, e.g. `Europe/Paris`. Defaults to `UTC`, as the service does.',
    },
    fields: { type: mapOf('string'), optional: true, description: 'Fields attached to all data of the collector, e.g. `{ _budget = "dev" }`.' },
  },
}

export const collectorErrorPaths = fieldMapper(['collector'], { name: 'name', description: 'description', category: 'category', timeZone: 'time_zone', fields: 'fields' })

export function collectorWireFromPlan(planned: TfRecord): CollectorInput {
  return omitEmpty({
    name: stringAttr(planned.name) ?? '',
    description: stringAttr(planned.description),
    category: stringAttr(planned.category),
    timeZone: stringAttr(planned.time_zone) ?? DEFAULT_TIME_ZONE,
    fields: stringMapAttr(planned.fields),
  }) as CollectorInput
}

/** State from the API's collector, keeping the prior state's spelling of empty values. */
export function collectorStateFromWire(wire: Collector, prior: TfRecord | null): TfRecord {
  return record({
    id: String(wire.id),
    name: wire.name,
    description: keepEmptyString(wire.description, prior?.description ?? null),
    category: keepEmptyString(wire.category, prior?.category ?? null),
    time_zone: wire.timeZone || DEFAULT_TIME_ZONE,
    fields: keepEmptyMap(wire.fields, prior?.fields ?? null),
  })
}

export const collectorResource: ManagedResource<ApiClient> = {
  typeName: 'openc2c_collector',
  schema: collectorSchema,

  validateConfig(config: TfRecord, diagnostics: Diagnostics) {
    const name = config.name
    if (typeof name === 'string' && (name.trim() === '' || name.length > 128)) {
      diagnostics.error('Invalid collector name', 'The name must be 1 to 128 characters long.', attributePath('name'))
    }
  },

  async create(api, planned, _config, ctx) {
    const created = await callApi('Creating the collector', collectorErrorPaths, () => createCollector(api, collectorWireFromPlan(planned), ctx.signal))
    return stateMatchingPlan(created, planned)
  },

  async read(api, state, ctx) {
    const id = stringAttr(state.id)
    if (!id) return null
    // A numeric id is the normal case; a name comes from `terraform import openc2c_collector.x <name>`,
    // which the Sumo provider supports too, and is replaced by the numeric id here.
    const byId = /^\d+$/.test(id)
    const wire = await callApi('Reading the collector', collectorErrorPaths, () => (byId ? getCollector(api, id, ctx.signal) : getCollectorByName(api, id, ctx.signal)))
    return wire ? collectorStateFromWire(wire, state) : null
  },

  async update(api, prior, planned, _config, ctx) {
    const id = stringAttr(prior.id) as string
    const updated = await callApi('Updating the collector', collectorErrorPaths, () => updateCollector(api, id, collectorWireFromPlan(planned), ctx.signal))
    return stateMatchingPlan(updated, planned)
  },

  async delete(api, prior, ctx) {
    const id = stringAttr(prior.id)
    if (id) await callApi('Deleting the collector', collectorErrorPaths, () => deleteCollector(api, id, ctx.signal))
  },

  importState(id: string) {
    const trimmed = id.trim()
    if (trimmed === '') {
      throw new DiagnosticError({
        severity: 'error',
        summary: 'Invalid import id',
        detail: 'Import a collector by its numeric id (or its name), e.g. `terraform import openc2c_collector.x 123`.',
      })
    }
    return record({ id: trimmed })
  },
}

/** After a write the state is what was planned, with the server's id; a server that changed a value we
 * sent would otherwise trip Terraform's "inconsistent result" check, and the next read reports it. */
function stateMatchingPlan(wire: Collector, planned: TfRecord): TfRecord {
  return record({ ...planned, id: String(wire.id) })
}
