// openc2c_destination: a destination of any kind, through /api/v1/destinations. The schema and its kind
// table are in destination-schema.ts, the mapping to the API in destination-wire.ts, the plan-time checks
// in destination-validation.ts; this file ties them to the API calls.

import type { ApiClient } from '../client/api-client.js'
import { createDestination, deleteDestination, getDestination, updateDestination } from '../client/destinations-api.js'
import { attributePath, type AttributePath } from '../framework/attribute-path.js'
import { DiagnosticError } from '../framework/diagnostics.js'
import type { ManagedResource } from '../framework/resource.js'
import { isUnknown, record, type TfRecord } from '../tfvalue/value.js'
import { callApi, type JsonPathMapper } from './api-diagnostics.js'
import { destinationSchema, FILTER_FIELDS, kindSpec } from './destination-schema.js'
import { validateDestination } from './destination-validation.js'
import { configuredSecretNames, destinationStateFromWire, wireDestination } from './destination-wire.js'
import type { Destination } from '../../schemas/destination.js'
import { numberAttr, stringAttr } from './values.js'

/** An API field error's JSONPath ($.destination.config.token) → the attribute (splunk_hec.token_wo). */
export function destinationErrorPaths(type: unknown): JsonPathMapper {
  return (segments) => {
    if (segments[0] !== 'destination') return undefined
    const [, field, key, entry] = segments
    const envelope: Record<string, string> = { name: 'name', type: 'type', enabled: 'enabled', startFrom: 'start_from' }
    if (typeof field === 'string' && Object.hasOwn(envelope, field)) return attributePath(envelope[field] as string)
    if (field === 'filter') {
      // Sets have no element Terraform could point at: the path stops at the attribute.
      const filterField = FILTER_FIELDS.find((f) => f.wire === key)
      return filterField ? [{ attribute: 'filter' }, { attribute: filterField.attribute }] : attributePath('filter')
    }
    const spec = kindSpec(type)
    if (field !== 'config' || !spec) return undefined
    const kindField = spec.fields.find((f) => f.wire === key)
    if (!kindField) return attributePath(spec.kind)
    const path: AttributePath = [{ attribute: spec.kind }, { attribute: kindField.attribute }]
    return typeof entry === 'string' && Array.isArray(kindField.type) ? [...path, { key: entry }] : path
  }
}

/** The planned state with what only the service knows filled in (the id, the state, a defaulted start). */
function appliedState(planned: TfRecord, wire: Destination): TfRecord {
  const fromWire = destinationStateFromWire(wire, planned)
  const state = record(planned)
  for (const [name, value] of Object.entries(state)) if (isUnknown(value)) state[name] = fromWire[name] ?? null
  return state
}

export const destinationResource: ManagedResource<ApiClient> = {
  typeName: 'openc2c_destination',
  schema: destinationSchema,

  validateConfig: validateDestination,

  deriveComputed(config) {
    return { stored_secrets: configuredSecretNames(config) }
  },

  async create(api, planned, config, ctx) {
    const created = await callApi('Creating the destination', destinationErrorPaths(planned.type), () =>
      createDestination(api, wireDestination(planned, config, { sendValues: true }), ctx.signal),
    )
    return appliedState(planned, created)
  },

  async read(api, state, ctx) {
    const id = stringAttr(state.id) ?? ''
    const wire = await callApi('Reading the destination', destinationErrorPaths(state.type), () => getDestination(api, id, ctx.signal))
    return wire ? destinationStateFromWire(wire, state) : null
  },

  async update(api, prior, planned, config, ctx) {
    const id = stringAttr(prior.id) ?? ''
    // Write-only secrets go out again when their version changes (docs/terraform-provider.md).
    const sendValues = numberAttr(prior.secrets_wo_version) !== numberAttr(planned.secrets_wo_version)
    const updated = await callApi('Updating the destination', destinationErrorPaths(planned.type), () =>
      updateDestination(api, id, (current) => wireDestination(planned, config, { sendValues, held: current }), ctx.signal),
    )
    return appliedState(record({ ...planned, id }), updated)
  },

  async delete(api, prior, ctx) {
    const id = stringAttr(prior.id) ?? ''
    await callApi('Deleting the destination', destinationErrorPaths(prior.type), () => deleteDestination(api, id, ctx.signal))
  },

  importState(id: string) {
    const match = /^\s*(\d+)\s*$/.exec(id)
    if (!match) {
      throw new DiagnosticError({
        severity: 'error',
        summary: 'Invalid import id',
        detail: `Import a destination by its numeric id, e.g. \`terraform import openc2c_destination.x 300000001\`; got ${JSON.stringify(id)}.`,
      })
    }
    return record({ id: match[1] as string })
  },
}
