// How a construct hands its attributes to CDKTF, for JSON synthesis (`cdktf synth`) and for HCL
// synthesis (`cdktf synth --hcl`, the documented way off CDKTF). Each attribute is declared once with its
// kind; undefined ones are left out. This is the only CDKTF-specific logic in the constructs.

import type { TerraformMetaArguments } from 'cdktf'

export type AttributeKind = 'string' | 'number' | 'stringMap' | 'stringList' | 'stringSet'

export interface AttributeValue {
  kind: AttributeKind
  value: unknown
}

export type AttributeTable = Record<string, AttributeValue>

export function jsonAttributes(table: AttributeTable): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, { value }] of Object.entries(table)) if (value !== undefined) out[name] = value
  return out
}

const HCL_SHAPE: Record<AttributeKind, { type: string; storageClassType: string }> = {
  string: { type: 'simple', storageClassType: 'string' },
  number: { type: 'simple', storageClassType: 'number' },
  stringMap: { type: 'map', storageClassType: 'stringMap' },
  stringList: { type: 'list', storageClassType: 'stringList' },
  stringSet: { type: 'set', storageClassType: 'stringList' },
}

export function hclAttributes(table: AttributeTable): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, { kind, value }] of Object.entries(table)) {
    if (value !== undefined) out[name] = { value, isBlock: false, ...HCL_SHAPE[kind] }
  }
  return out
}

/** Only Terraform's meta-arguments go to the CDKTF base class; attributes go through the tables. */
export function metaArguments(config: TerraformMetaArguments): TerraformMetaArguments {
  const { dependsOn, count, provider, lifecycle, forEach, provisioners, connection } = config
  return { dependsOn, count, provider, lifecycle, forEach, provisioners, connection }
}
