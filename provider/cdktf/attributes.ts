// How a construct hands its attributes to CDKTF, for JSON synthesis (`cdktf synth`) and for HCL
// synthesis (`cdktf synth --hcl`, the documented way off CDKTF). Each attribute is declared once with its
// kind; undefined ones are left out. A nested block (nesting single) is a table of its own. This is the
// only CDKTF-specific logic in the constructs.

import type { TerraformMetaArguments } from 'cdktf'

export type AttributeKind = 'string' | 'number' | 'bool' | 'stringMap' | 'stringList' | 'stringSet' | 'numberSet'

export type AttributeValue = { kind: AttributeKind; value: unknown } | { kind: 'block'; value: AttributeTable | undefined }

export type AttributeTable = Record<string, AttributeValue>

export function jsonAttributes(table: AttributeTable): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, attribute] of Object.entries(table)) {
    if (attribute.value === undefined) continue
    // Terraform's JSON syntax writes a single nested block as an object.
    out[name] = attribute.kind === 'block' ? jsonAttributes(attribute.value) : attribute.value
  }
  return out
}

const HCL_SHAPE: Record<AttributeKind, { type: string; storageClassType: string }> = {
  string: { type: 'simple', storageClassType: 'string' },
  number: { type: 'simple', storageClassType: 'number' },
  bool: { type: 'simple', storageClassType: 'boolean' },
  stringMap: { type: 'map', storageClassType: 'stringMap' },
  stringList: { type: 'list', storageClassType: 'stringList' },
  stringSet: { type: 'set', storageClassType: 'stringList' },
  // CDKTF writes a numberList's elements raw, which breaks a reference (`[${openc2c_collector.c.id}]`);
  // written as strings, they are valid HCL and Terraform converts them back to numbers.
  numberSet: { type: 'set', storageClassType: 'stringList' },
}

function hclValue(kind: AttributeKind, value: unknown): unknown {
  return kind === 'numberSet' && Array.isArray(value) ? value.map((v) => (typeof v === 'number' ? String(v) : v)) : value
}

export function hclAttributes(table: AttributeTable): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, attribute] of Object.entries(table)) {
    if (attribute.value === undefined) continue
    out[name] =
      attribute.kind === 'block'
        ? { value: hclAttributes(attribute.value), isBlock: true, type: 'struct', storageClassType: name }
        : { value: hclValue(attribute.kind, attribute.value), isBlock: false, ...HCL_SHAPE[attribute.kind] }
  }
  return out
}

/** Only Terraform's meta-arguments go to the CDKTF base class; attributes go through the tables. */
export function metaArguments(config: TerraformMetaArguments): TerraformMetaArguments {
  const { dependsOn, count, provider, lifecycle, forEach, provisioners, connection } = config
  return { dependsOn, count, provider, lifecycle, forEach, provisioners, connection }
}
