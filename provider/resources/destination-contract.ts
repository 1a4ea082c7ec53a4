// The parts of the shared destination contract (schemas/destination.ts and schemas/destinations/*.ts, the
// schemas the service validates requests with) that the provider checks at plan time and needs for reads:
// the kinds, each kind's config keys with their rules and defaults, which keys are required, the filter.
//
// In development this reads the TypeBox schemas; provider/packaging/bundle.ts evaluates it at build time
// and embeds the resulting JSON, so the bundled provider carries the same rules without TypeBox.

import { DESTINATION_KINDS, DestinationFilter, DestinationInput } from '../../schemas/destination.js'
import { ElasticsearchConfig } from '../../schemas/destinations/elasticsearch.js'
import { FileConfig } from '../../schemas/destinations/file.js'
import { SplunkHecConfig } from '../../schemas/destinations/splunk-hec.js'
import { SumoHttpConfig } from '../../schemas/destinations/sumo-http.js'
import { WebhookConfig } from '../../schemas/destinations/webhook.js'
import { contractRule, type ContractRule } from './contract-check.js'

export interface KindContract {
  /** Wire config key → its rule, e.g. "url" → { type: "string", pattern: ... }. */
  rules: Record<string, ContractRule>
  required: string[]
}

export interface DestinationContract {
  kinds: string[]
  /** Envelope keys: name, startFrom. */
  envelope: Record<string, ContractRule>
  /** Filter key → rule: collectorIds, sourceIds, sourceCategory, eventTypes. */
  filter: Record<string, ContractRule>
  configs: Record<string, KindContract>
}

type ObjectSchema = { properties: Record<string, Record<string, unknown>>; required?: string[] }

function rulesOf(schema: ObjectSchema): Record<string, ContractRule> {
  return Object.fromEntries(Object.entries(schema.properties).map(([key, property]) => [key, contractRule(property)]))
}

export function destinationContract(): DestinationContract {
  const configSchemas: Record<string, ObjectSchema> = {
    splunk_hec: SplunkHecConfig,
    elasticsearch: ElasticsearchConfig,
    sumo_http: SumoHttpConfig,
    webhook: WebhookConfig,
    file: FileConfig,
  }
  const envelope = rulesOf(DestinationInput as unknown as ObjectSchema)
  return {
    kinds: [...DESTINATION_KINDS],
    envelope: { name: envelope.name as ContractRule, startFrom: envelope.startFrom as ContractRule },
    filter: rulesOf(DestinationFilter as unknown as ObjectSchema),
    configs: Object.fromEntries(
      DESTINATION_KINDS.map((kind) => {
        const schema = configSchemas[kind]
        if (!schema) throw new Error(`no config schema for the destination kind ${kind}`)
        return [kind, { rules: rulesOf(schema), required: [...(schema.required ?? [])] }]
      }),
    ),
  }
}
