// CDKTF construct for openc2c_collector (attributes as in provider/resources/collector.ts).

import { TerraformResource, type TerraformMetaArguments } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, metaArguments, type AttributeTable } from './attributes.js'

export interface CollectorConfig extends TerraformMetaArguments {
  readonly name: string
  readonly description?: string
  readonly category?: string
  /** IANA time zone; the service defaults to UTC. */
  readonly timeZone?: string
  readonly fields?: Record<string, string>
}

export class Collector extends TerraformResource {
  static readonly tfResourceType = 'openc2c_collector'

  constructor(
    scope: Construct,
    id: string,
    private readonly config: CollectorConfig,
  ) {
    super(scope, id, { terraformResourceType: Collector.tfResourceType, terraformGeneratorMetadata: { providerName: 'openc2c' }, ...metaArguments(config) })
  }

  /** The collector id (a string, like Sumo's); pass it as a source's collectorId. */
  get id(): string {
    return this.getStringAttribute('id')
  }

  get name(): string {
    return this.getStringAttribute('name')
  }

  private table(): AttributeTable {
    return {
      name: { kind: 'string', value: this.config.name },
      description: { kind: 'string', value: this.config.description },
      category: { kind: 'string', value: this.config.category },
      time_zone: { kind: 'string', value: this.config.timeZone },
      fields: { kind: 'stringMap', value: this.config.fields },
    }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
