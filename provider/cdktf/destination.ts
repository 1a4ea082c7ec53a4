// CDKTF construct for openc2c_destination (attributes and blocks as in provider/resources/destination-schema.ts).
// Set `type` and the settings object of the same kind; secrets (`…Wo`) are write-only, so give them
// `secretsWoVersion` and change it to send them again.

import { TerraformResource, type TerraformMetaArguments } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, metaArguments, type AttributeTable } from './attributes.js'

export type DestinationType = 'splunk_hec' | 'elasticsearch' | 'sumo_http' | 'webhook' | 'file'

export interface SplunkHecSettings {
  /** HEC base URL, e.g. https://splunk.example:8088. */
  readonly url: string
  /** Write-only HEC token. */
  readonly tokenWo: string
  readonly indexerAck?: boolean
  readonly index?: string
  readonly sourcetype?: string
  readonly source?: string
}

/** An API key, or a user name and password. */
export interface ElasticsearchSettings {
  readonly url: string
  readonly index: string
  readonly apiKeyWo?: string
  readonly username?: string
  readonly passwordWo?: string
}

export interface SumoHttpSettings {
  /** Write-only: the HTTP source's URL holds its token. */
  readonly urlWo: string
}

export interface WebhookSettings {
  readonly url: string
  /** Write-only header values; the names show in `storedSecrets`. */
  readonly headersWo?: Record<string, string>
  readonly gzip?: boolean
  readonly signingKeyWo?: string
}

export interface FileSettings {
  /** Absolute path on the service's host. */
  readonly directory: string
  readonly maxFileBytes?: number
  readonly maxFileAgeSeconds?: number
}

/** Every key optional; none (or an empty filter) delivers every event. */
export interface DestinationFilter {
  /** Collector ids, e.g. `collector.id` (Terraform converts the strings to numbers). */
  readonly collectorIds?: Array<number | string>
  readonly sourceIds?: Array<number | string>
  readonly sourceCategory?: string
  readonly eventTypes?: string[]
}

export interface DestinationConfig extends TerraformMetaArguments {
  readonly name: string
  readonly type: DestinationType
  /** Default true. */
  readonly enabled?: boolean
  /** 'earliest' (the service's default) or 'now'; changing it replaces the destination. */
  readonly startFrom?: 'earliest' | 'now'
  /** Change to send the write-only secrets again. */
  readonly secretsWoVersion?: number
  readonly filter?: DestinationFilter
  readonly splunkHec?: SplunkHecSettings
  readonly elasticsearch?: ElasticsearchSettings
  readonly sumoHttp?: SumoHttpSettings
  readonly webhook?: WebhookSettings
  readonly file?: FileSettings
}

export class Destination extends TerraformResource {
  static readonly tfResourceType = 'openc2c_destination'

  constructor(
    scope: Construct,
    id: string,
    private readonly config: DestinationConfig,
  ) {
    super(scope, id, { terraformResourceType: Destination.tfResourceType, terraformGeneratorMetadata: { providerName: 'openc2c' }, ...metaArguments(config) })
  }

  get id(): string {
    return this.getStringAttribute('id')
  }

  /** Delivery state reported by the service (Pending, Delivering, Error, Disabled). */
  get state(): string {
    return this.getStringAttribute('state')
  }

  /** Which write-only secrets the service holds, as `<block>.<attribute>`. */
  get storedSecrets(): string[] {
    return this.getListAttribute('stored_secrets')
  }

  private table(): AttributeTable {
    const c = this.config
    const block = (table: AttributeTable | undefined) => ({ kind: 'block' as const, value: table })
    return {
      name: { kind: 'string', value: c.name },
      type: { kind: 'string', value: c.type },
      enabled: { kind: 'bool', value: c.enabled },
      start_from: { kind: 'string', value: c.startFrom },
      secrets_wo_version: { kind: 'number', value: c.secretsWoVersion },
      filter: block(
        c.filter && {
          collector_ids: { kind: 'numberSet', value: c.filter.collectorIds },
          source_ids: { kind: 'numberSet', value: c.filter.sourceIds },
          source_category: { kind: 'string', value: c.filter.sourceCategory },
          event_types: { kind: 'stringSet', value: c.filter.eventTypes },
        },
      ),
      splunk_hec: block(
        c.splunkHec && {
          url: { kind: 'string', value: c.splunkHec.url },
          token_wo: { kind: 'string', value: c.splunkHec.tokenWo },
          indexer_ack: { kind: 'bool', value: c.splunkHec.indexerAck },
          index: { kind: 'string', value: c.splunkHec.index },
          sourcetype: { kind: 'string', value: c.splunkHec.sourcetype },
          source: { kind: 'string', value: c.splunkHec.source },
        },
      ),
      elasticsearch: block(
        c.elasticsearch && {
          url: { kind: 'string', value: c.elasticsearch.url },
          index: { kind: 'string', value: c.elasticsearch.index },
          api_key_wo: { kind: 'string', value: c.elasticsearch.apiKeyWo },
          username: { kind: 'string', value: c.elasticsearch.username },
          password_wo: { kind: 'string', value: c.elasticsearch.passwordWo },
        },
      ),
      sumo_http: block(c.sumoHttp && { url_wo: { kind: 'string', value: c.sumoHttp.urlWo } }),
      webhook: block(
        c.webhook && {
          url: { kind: 'string', value: c.webhook.url },
          headers_wo: { kind: 'stringMap', value: c.webhook.headersWo },
          gzip: { kind: 'bool', value: c.webhook.gzip },
          signing_key_wo: { kind: 'string', value: c.webhook.signingKeyWo },
        },
      ),
      file: block(
        c.file && {
          directory: { kind: 'string', value: c.file.directory },
          max_file_bytes: { kind: 'number', value: c.file.maxFileBytes },
          max_file_age_seconds: { kind: 'number', value: c.file.maxFileAgeSeconds },
        },
      ),
    }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
