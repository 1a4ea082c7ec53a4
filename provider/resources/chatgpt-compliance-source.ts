// openc2c_chatgpt_compliance_source: the ChatGPT Compliance source as a typed resource. Attribute checks
// come from the shared config contract (schemas/sources/chatgpt-compliance.ts, via chatgpt-contract.ts),
// the same schema the service validates requests with, so plan-time errors and API errors agree.
//
// The API key can be given two ways:
//   api_key                         sensitive, kept in state (like every Sumo source)
//   api_key_wo + api_key_wo_version write-only (Terraform ≥ 1.11): never in plan or state. The key is sent
//                                   on create and whenever api_key_wo_version changes; other updates send
//                                   the mask "********", which the service reads as "keep the stored key".

import { attributePath } from '../framework/attribute-path.js'
import { DiagnosticError, type Diagnostics } from '../framework/diagnostics.js'
import type { ManagedResource } from '../framework/resource.js'
import type { BlockSchema } from '../framework/schema.js'
import type { ApiClient } from '../client/api-client.js'
import { createSource, deleteSource, getSource, MASKED_SECRET, updateSource } from '../client/sources-api.js'
import type { Source } from '../../schemas/source.js'
import { callApi, fieldMapper } from './api-diagnostics.js'
import { validateCollectorId } from './cloud-to-cloud-source.js'
import { chatgptContract } from './chatgpt-contract.js'
import { contractViolation } from './contract-check.js'
import { parseSourceImportId } from './import-id.js'
import { isSet, keepEmptyMap, keepEmptyString, numberAttr, omitEmpty, stringAttr, stringListAttr, stringMapAttr } from './values.js'
import { mapOf, setOf } from '../tfvalue/types.js'
import { isRecord, isUnknown, record, type TfRecord, type TfValue } from '../tfvalue/value.js'

const CONTRACT = chatgptContract()
const CHATGPT_COMPLIANCE_TYPE = CONTRACT.schemaType
const CHATGPT_EVENT_TYPES: readonly string[] = CONTRACT.eventTypes

export const DEFAULT_POLLING_INTERVAL_HOURS = 1
export const DEFAULT_EVENT_TYPES = ['CONVERSATION']
const SIEM_FORWARD_FIELD = '_siemForward'

export const chatgptComplianceSourceSchema: BlockSchema = {
  version: 0,
  description: 'A ChatGPT Compliance source: pulls ChatGPT Enterprise compliance logs of one workspace.',
  attributes: {
    id: { type: 'string', computed: true, useStateForUnknown: true, description: 'Numeric source id assigned by the service.' },
    collector_id: { type: 'number', required: true, requiresReplace: true, description: 'Id of the collector the source belongs to.' },
    name: { type: 'string', required: true, description: 'Source name, unique within the collector; becomes `_source`.' },
    description: { type: 'string', optional: true, description: 'Free text.' },
    category: { type: 'string', optional: true, description: 'Source category (`_sourceCategory`).' },
    fields: {
      type: mapOf('string'),
      optional: true,
      description: 'Metadata fields. `_siemForward` takes `"true"` or `"false"` and is sent as a boolean.',
    },
    workspace_id: { type: 'string', required: true, description: 'ChatGPT Enterprise workspace id.' },
    api_key: {
      type: 'string',
      optional: true,
      sensitive: true,
      description: 'OpenAI API key with Compliance API read scope. Stored in state; prefer `api_key_wo`.',
    },
    api_key_wo: {
      type: 'string',
      optional: true,
      sensitive: true,
      writeOnly: true,
      description: 'Write-only API key (Terraform ≥ 1.11): never stored in plan or state. Needs `api_key_wo_version`.',
    },
    api_key_wo_version: {
      type: 'number',
      optional: true,
      description: 'Change this number to send a new `api_key_wo` to the service.',
    },
    polling_interval_hours: {
      type: 'number',
      optional: true,
      computed: true,
      default: DEFAULT_POLLING_INTERVAL_HOURS,
      description: 'Hours between polls, 1 to 24. Defaults to 1.',
    },
    event_types: {
      type: setOf('string'),
      optional: true,
      computed: true,
      default: [...DEFAULT_EVENT_TYPES],
      description: `Event types to collect: ${CHATGPT_EVENT_TYPES.join(', ')}. Defaults to CONVERSATION.`,
    },
    state: { type: 'string', computed: true, description: 'Collection state reported by the service: Pending, Collecting, Error, ...' },
  },
}

/** Wire key → attribute, for API field errors; the key attribute depends on which one the config uses. */
function errorPaths(config: TfRecord) {
  const apiKeyAttribute = isSet(config.api_key_wo) ? 'api_key_wo' : 'api_key'
  return fieldMapper(
    ['source', 'config'],
    {
      name: 'name',
      description: 'description',
      category: 'category',
      fields: 'fields',
      workspaceID: 'workspace_id',
      workspaceId: 'workspace_id',
      apiKey: apiKeyAttribute,
      pollingIntervalHour: 'polling_interval_hours',
      pollingInterval: 'polling_interval_hours',
      enabledEventType: 'event_types',
    },
    { wholeAttributes: ['event_types', 'polling_interval_hours'] },
  )
}

function wireFields(fields: Record<string, string> | null): Record<string, string | boolean> | undefined {
  if (!fields) return undefined
  const out: Record<string, string | boolean> = {}
  for (const [key, value] of Object.entries(fields)) out[key] = key === SIEM_FORWARD_FIELD ? value === 'true' : value
  return out
}

function sortedEventTypes(values: string[]): string[] {
  const order = CHATGPT_EVENT_TYPES
  return [...new Set(values)].sort((a, b) => order.indexOf(a) - order.indexOf(b))
}

export function wireConfig(planned: TfRecord, apiKey: string): Record<string, unknown> {
  return omitEmpty({
    name: stringAttr(planned.name),
    description: stringAttr(planned.description),
    category: stringAttr(planned.category),
    fields: wireFields(stringMapAttr(planned.fields)),
    workspaceID: stringAttr(planned.workspace_id),
    apiKey,
    pollingIntervalHour: `${numberAttr(planned.polling_interval_hours) ?? DEFAULT_POLLING_INTERVAL_HOURS}h`,
    enabledEventType: sortedEventTypes(stringListAttr(planned.event_types) ?? DEFAULT_EVENT_TYPES),
  })
}

function pollingHours(config: Record<string, unknown>): number {
  const text = config.pollingIntervalHour
  if (typeof text === 'string' && /^\d+h$/.test(text)) return Number(text.slice(0, -1))
  if (typeof config.pollingInterval === 'number') return config.pollingInterval
  return DEFAULT_POLLING_INTERVAL_HOURS
}

function stateFields(fields: unknown): Record<string, string> | null {
  if (typeof fields !== 'object' || fields === null) return null
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(fields)) out[key] = typeof value === 'string' ? value : JSON.stringify(value)
  return out
}

/** State from the API's source. The API masks the key, so key attributes keep what the state has. */
export function chatgptStateFromWire(wire: Source, prior: TfRecord): TfRecord {
  const type = wire.schemaRef?.type
  if (type !== CHATGPT_COMPLIANCE_TYPE) {
    throw new DiagnosticError({
      severity: 'error',
      summary: 'Not a ChatGPT Compliance source',
      detail: `Source ${wire.id} is a "${type}" source. Manage it with openc2c_cloud_to_cloud_source instead.`,
    })
  }
  const config: Record<string, unknown> = wire.config ?? {}
  const priorEvents = stringListAttr(prior.event_types)
  const events = Array.isArray(config.enabledEventType) ? config.enabledEventType.map(String) : DEFAULT_EVENT_TYPES
  const sameEvents = priorEvents !== null && priorEvents.length === new Set(events).size && events.every((e) => priorEvents.includes(e))
  return record({
    id: String(wire.id),
    collector_id: prior.collector_id ?? null,
    name: typeof config.name === 'string' ? config.name : '',
    description: keepEmptyString(config.description, prior.description),
    category: keepEmptyString(config.category, prior.category),
    fields: keepEmptyMap(stateFields(config.fields), prior.fields),
    workspace_id: String(config.workspaceID ?? config.workspaceId ?? ''),
    api_key: prior.api_key ?? null,
    api_key_wo: null,
    api_key_wo_version: prior.api_key_wo_version ?? null,
    polling_interval_hours: pollingHours(config),
    event_types: sameEvents ? (prior.event_types as TfValue[]) : sortedEventTypes(events),
    state: wire.state?.state ?? null,
  })
}

function checkAgainstContract(diagnostics: Diagnostics, wireKey: string, value: unknown, attribute: string): void {
  const problem = contractViolation(CONTRACT.rules[wireKey], value)
  if (problem) diagnostics.error(`Invalid ${attribute}`, `${attribute} ${problem}.`, attributePath(attribute))
}

export const chatgptComplianceSourceResource: ManagedResource<ApiClient> = {
  typeName: 'openc2c_chatgpt_compliance_source',
  schema: chatgptComplianceSourceSchema,

  validateConfig(config: TfRecord, diagnostics: Diagnostics) {
    validateCollectorId(config, diagnostics)
    if (isSet(config.name)) checkAgainstContract(diagnostics, 'name', config.name, 'name')
    if (isSet(config.description)) checkAgainstContract(diagnostics, 'description', config.description, 'description')
    if (isSet(config.category)) checkAgainstContract(diagnostics, 'category', config.category, 'category')
    if (isSet(config.workspace_id)) checkAgainstContract(diagnostics, 'workspaceID', config.workspace_id, 'workspace_id')

    const hours = config.polling_interval_hours
    if (typeof hours === 'number') checkAgainstContract(diagnostics, 'pollingInterval', hours, 'polling_interval_hours')

    const events = config.event_types
    if (Array.isArray(events)) {
      if (events.length === 0) diagnostics.error('Invalid event_types', 'Choose at least one event type.', attributePath('event_types'))
      for (const event of events) {
        if (typeof event === 'string' && !CHATGPT_EVENT_TYPES.includes(event)) {
          diagnostics.error('Invalid event_types', `"${event}" is not an event type; choose from ${CHATGPT_EVENT_TYPES.join(', ')}.`, attributePath('event_types'))
        }
      }
    }

    const fields = config.fields
    if (isRecord(fields)) {
      const siem = fields[SIEM_FORWARD_FIELD]
      if (typeof siem === 'string' && siem !== 'true' && siem !== 'false') {
        diagnostics.error('Invalid fields', `${SIEM_FORWARD_FIELD} must be "true" or "false".`, attributePath('fields', SIEM_FORWARD_FIELD))
      }
    }

    // Exactly one way of giving the key. Unknown values (variables at validate time) may be either.
    const key = config.api_key
    const writeOnlyKey = config.api_key_wo
    if (key !== null && writeOnlyKey !== null) {
      diagnostics.error('Conflicting API keys', 'Set api_key or api_key_wo, not both.', attributePath('api_key_wo'))
    } else if (key === null && writeOnlyKey === null) {
      diagnostics.error('Missing API key', 'Set api_key_wo (with api_key_wo_version) or api_key.', attributePath('api_key_wo'))
    }
    if (writeOnlyKey !== null && config.api_key_wo_version === null) {
      diagnostics.error(
        'Missing api_key_wo_version',
        'Terraform never stores api_key_wo, so it cannot see the key change. Set api_key_wo_version and change it whenever the key changes.',
        attributePath('api_key_wo_version'),
      )
    }
    if (typeof key === 'string' && key === MASKED_SECRET) diagnostics.error('Invalid api_key', 'api_key cannot be the mask "********".', attributePath('api_key'))
  },

  async create(api, planned, config, ctx) {
    const apiKey = stringAttr(config.api_key_wo) ?? stringAttr(planned.api_key) ?? ''
    const collectorId = String(numberAttr(planned.collector_id))
    const created = await callApi('Creating the ChatGPT Compliance source', errorPaths(config), () =>
      createSource(api, collectorId, { schemaRef: { type: CHATGPT_COMPLIANCE_TYPE }, config: wireConfig(planned, apiKey) }, ctx.signal),
    )
    return record({ ...planned, id: String(created.id), state: created.state?.state ?? null })
  },

  async read(api, state, ctx) {
    const collectorId = String(numberAttr(state.collector_id))
    const sourceId = stringAttr(state.id) ?? ''
    const wire = await callApi('Reading the ChatGPT Compliance source', errorPaths(state), () => getSource(api, collectorId, sourceId, ctx.signal))
    return wire ? chatgptStateFromWire(wire, state) : null
  },

  async update(api, prior, planned, config, ctx) {
    const collectorId = String(numberAttr(prior.collector_id))
    const sourceId = stringAttr(prior.id) ?? ''
    const writeOnlyKey = stringAttr(config.api_key_wo)
    const versionChanged = numberAttr(prior.api_key_wo_version) !== numberAttr(planned.api_key_wo_version)
    const apiKey = stringAttr(planned.api_key) ?? (writeOnlyKey !== null && versionChanged ? writeOnlyKey : MASKED_SECRET)
    const updated = await callApi('Updating the ChatGPT Compliance source', errorPaths(config), () =>
      updateSource(api, collectorId, sourceId, { schemaRef: { type: CHATGPT_COMPLIANCE_TYPE }, config: wireConfig(planned, apiKey) }, ctx.signal),
    )
    const state = isUnknown(planned.state) ? (updated.state?.state ?? null) : planned.state
    return record({ ...planned, id: sourceId, state: state ?? null })
  },

  async delete(api, prior, ctx) {
    const collectorId = String(numberAttr(prior.collector_id))
    const sourceId = stringAttr(prior.id) ?? ''
    await callApi('Deleting the ChatGPT Compliance source', errorPaths(prior), () => deleteSource(api, collectorId, sourceId, ctx.signal))
  },

  importState(id: string) {
    const { collectorId, sourceId } = parseSourceImportId(id, 'openc2c_chatgpt_compliance_source')
    return record({ id: sourceId, collector_id: collectorId })
  },
}
