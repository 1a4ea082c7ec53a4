// CDKTF construct for data "openc2c_collector": look a collector up by name (or id).

import { TerraformDataSource, type TerraformMetaArguments } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, metaArguments, type AttributeTable } from './attributes.js'

export interface DataOpenc2cCollectorConfig extends TerraformMetaArguments {
  readonly name?: string
  readonly id?: string
}

export class DataOpenc2cCollector extends TerraformDataSource {
  static readonly tfResourceType = 'openc2c_collector'

  constructor(
    scope: Construct,
    id: string,
    private readonly config: DataOpenc2cCollectorConfig,
  ) {
    super(scope, id, { terraformResourceType: DataOpenc2cCollector.tfResourceType, terraformGeneratorMetadata: { providerName: 'openc2c' }, ...metaArguments(config) })
  }

  get id(): string {
    return this.getStringAttribute('id')
  }

  private table(): AttributeTable {
    return { name: { kind: 'string', value: this.config.name }, id: { kind: 'string', value: this.config.id } }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
