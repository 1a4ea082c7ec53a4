// CDKTF construct for the openc2c provider block. Hand-written and thin (see README: CDKTF is archived,
// cdktn can take its place). Leave settings unset to use OPENC2C_ENDPOINT, OPENC2C_ACCESS_ID and
// OPENC2C_ACCESS_KEY, which keeps credentials out of the synthesized JSON.

import { TerraformProvider } from 'cdktf'
import type { Construct } from 'constructs'
import { hclAttributes, jsonAttributes, type AttributeTable } from './attributes.js'

export interface Openc2cProviderConfig {
  /** Service base URL, e.g. http://127.0.0.1:8080. */
  readonly endpoint?: string
  readonly accessId?: string
  readonly accessKey?: string
  readonly alias?: string
}

export class Openc2cProvider extends TerraformProvider {
  static readonly tfResourceType = 'openc2c'
  private providerAlias: string | undefined

  constructor(
    scope: Construct,
    id: string,
    private readonly config: Openc2cProviderConfig = {},
  ) {
    super(scope, id, {
      terraformResourceType: 'openc2c',
      terraformGeneratorMetadata: { providerName: 'openc2c', providerVersionConstraint: '~> 0.1' },
      terraformProviderSource: 'openc2c/openc2c',
    })
    this.providerAlias = config.alias
  }

  override get alias(): string | undefined {
    return this.providerAlias
  }

  override set alias(value: string | undefined) {
    this.providerAlias = value
  }

  private table(): AttributeTable {
    return {
      endpoint: { kind: 'string', value: this.config.endpoint },
      access_id: { kind: 'string', value: this.config.accessId },
      access_key: { kind: 'string', value: this.config.accessKey },
    }
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return jsonAttributes(this.table())
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return hclAttributes(this.table())
  }
}
