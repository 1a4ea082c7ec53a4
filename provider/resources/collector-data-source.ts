// data "openc2c_collector": looks a collector up by name (or by id), like the Sumo provider's data source.

import { attributePath } from '../framework/attribute-path.js'
import { DiagnosticError, type Diagnostics } from '../framework/diagnostics.js'
import type { DataSource } from '../framework/resource.js'
import type { BlockSchema } from '../framework/schema.js'
import type { ApiClient } from '../client/api-client.js'
import { getCollector, getCollectorByName } from '../client/collectors-api.js'
import { callApi, fieldMapper } from './api-diagnostics.js'
import { collectorStateFromWire } from './collector.js'
import { stringAttr } from './values.js'
import { mapOf } from '../tfvalue/types.js'
import { isUnknown, type TfRecord } from '../tfvalue/value.js'

export const collectorDataSourceSchema: BlockSchema = {
  version: 0,
  description: 'Looks up an existing collector by `name` (or by `id`).',
  attributes: {
    name: { type: 'string', optional: true, computed: true, description: 'Name of the collector to look up.' },
    id: { type: 'string', optional: true, computed: true, description: 'Id of the collector to look up, instead of `name`.' },
    description: { type: 'string', computed: true, description: 'The collector description.' },
    category: { type: 'string', computed: true, description: 'The default source category.' },
    time_zone: { type: 'string', computed: true, description: 'The collector time zone.' },
    fields: { type: mapOf('string'), computed: true, description: 'Fields attached to the collector.' },
  },
}

export const collectorDataSource: DataSource<ApiClient> = {
  typeName: 'openc2c_collector',
  schema: collectorDataSourceSchema,

  validateConfig(config: TfRecord, diagnostics: Diagnostics) {
    if (isUnknown(config.name) || isUnknown(config.id)) return
    const given = [config.name, config.id].filter((v) => v !== null).length
    if (given !== 1) diagnostics.error('Set exactly one of name or id', 'The collector is looked up by name, or by id.', attributePath('name'))
  },

  async read(api, config, ctx) {
    const name = stringAttr(config.name)
    const id = stringAttr(config.id)
    const paths = fieldMapper(['collector'], { name: 'name', id: 'id' })
    const wire = await callApi('Looking up the collector', paths, () => (id !== null ? getCollector(api, id, ctx.signal) : getCollectorByName(api, name ?? '', ctx.signal)))
    if (!wire) {
      throw new DiagnosticError({
        severity: 'error',
        summary: 'Collector not found',
        detail: id !== null ? `No collector has id ${id}.` : `No collector is named ${JSON.stringify(name)}.`,
        path: attributePath(id !== null ? 'id' : 'name'),
      })
    }
    return collectorStateFromWire(wire, null)
  },
}
