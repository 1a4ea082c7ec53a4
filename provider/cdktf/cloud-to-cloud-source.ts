// CDKTF construct for openc2c_cloud_to_cloud_source, the Sumo-compatible generic source
// (attributes as in provider/resources/cloud-to-cloud-source.ts).

import { Fn, TerraformResource, type TerraformMetaArguments } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, metaArguments, type AttributeTable } from './attributes.js'

export interface CloudToCloudSourceConfig extends TerraformMetaArguments {
  readonly collectorId: number | string
  /** e.g. { type: 'ChatGPT Compliance' } */
  readonly schemaRef: { type: string }
  /** The integration's configuration; written as Terraform's jsonencode() of it. */
  readonly config: Record<string, unknown> | string
}

export class CloudToCloudSource extends TerraformResource {
  static readonly tfResourceType = 'openc2c_cloud_to_cloud_source'

  constructor(
    scope: Construct,
    id: string,
    private readonly config: CloudToCloudSourceConfig,
  ) {
    super(scope, id, { terraformResourceType: CloudToCloudSource.tfResourceType, terraformGeneratorMetadata: { providerName: 'openc2c' }, ...metaArguments(config) })
  }

  get id(): string {
    return this.getStringAttribute('id')
  }

  private table(): AttributeTable {
    const config = typeof this.config.config === 'string' ? this.config.config : Fn.jsonencode(this.config.config)
    return {
      collector_id: { kind: 'number', value: this.config.collectorId },
      schema_ref: { kind: 'stringMap', value: this.config.schemaRef },
      config: { kind: 'string', value: config },
    }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
