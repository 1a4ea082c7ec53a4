// CDKTF construct for openc2c_chatgpt_compliance_source (attributes as in
// provider/resources/chatgpt-compliance-source.ts).

import { TerraformResource, type TerraformMetaArguments } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, metaArguments, type AttributeTable } from './attributes.js'

export interface ChatgptComplianceSourceConfig extends TerraformMetaArguments {
  /** A collector's id, e.g. `collector.id` (Terraform converts the string to a number). */
  readonly collectorId: number | string
  readonly name: string
  readonly description?: string
  readonly category?: string
  /** `_siemForward` takes "true" or "false". */
  readonly fields?: Record<string, string>
  readonly workspaceId: string
  /** Stored in state; prefer apiKeyWo. */
  readonly apiKey?: string
  /** Write-only (Terraform ≥ 1.11): never stored in plan or state. Needs apiKeyWoVersion. */
  readonly apiKeyWo?: string
  /** Change to send a new apiKeyWo. */
  readonly apiKeyWoVersion?: number
  /** 1–24; defaults to 1. */
  readonly pollingIntervalHours?: number
  /** CONVERSATION, CODEX, CODEX_SECURITY, AUDIT, APP, AUTH, APP_AUTH; defaults to CONVERSATION. */
  readonly eventTypes?: string[]
}

export class ChatgptComplianceSource extends TerraformResource {
  static readonly tfResourceType = 'openc2c_chatgpt_compliance_source'

  constructor(
    scope: Construct,
    id: string,
    private readonly config: ChatgptComplianceSourceConfig,
  ) {
    super(scope, id, { terraformResourceType: ChatgptComplianceSource.tfResourceType, terraformGeneratorMetadata: { providerName: 'openc2c' }, ...metaArguments(config) })
  }

  get id(): string {
    return this.getStringAttribute('id')
  }

  /** Collection state reported by the service (Pending, Collecting, Error, ...). */
  get state(): string {
    return this.getStringAttribute('state')
  }

  private table(): AttributeTable {
    const c = this.config
    return {
      collector_id: { kind: 'number', value: c.collectorId },
      name: { kind: 'string', value: c.name },
      description: { kind: 'string', value: c.description },
      category: { kind: 'string', value: c.category },
      fields: { kind: 'stringMap', value: c.fields },
      workspace_id: { kind: 'string', value: c.workspaceId },
      api_key: { kind: 'string', value: c.apiKey },
      api_key_wo: { kind: 'string', value: c.apiKeyWo },
      api_key_wo_version: { kind: 'number', value: c.apiKeyWoVersion },
      polling_interval_hours: { kind: 'number', value: c.pollingIntervalHours },
      event_types: { kind: 'stringSet', value: c.eventTypes },
    }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
