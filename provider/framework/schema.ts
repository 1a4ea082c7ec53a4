// Declarative schemas for the provider, its resources and data sources, and their conversion into the
// protocol's Schema message and into the cty object type that drives the msgpack codec.

import { typeToJson, type CtyType } from '../tfvalue/types.js'
import type { TfValue } from '../tfvalue/value.js'

export interface AttributeSpec {
  type: CtyType
  description: string
  required?: boolean
  optional?: boolean
  computed?: boolean
  sensitive?: boolean
  /** Terraform 1.11+: the value is only in the configuration, never in plan or state. */
  writeOnly?: boolean
  /** A change of this attribute destroys and re-creates the object. */
  requiresReplace?: boolean
  /** Computed, and stays as it is when the object is updated in place (e.g. the id). */
  useStateForUnknown?: boolean
  /** Planned when the configuration leaves an optional+computed attribute null. */
  default?: TfValue
}

export interface BlockSchema {
  version: number
  description: string
  attributes: Record<string, AttributeSpec>
}

/** Schemas are constants, and every value decoded or encoded needs the object type of its schema. */
const objectTypes = new WeakMap<BlockSchema, CtyType>()

export function objectTypeOf(schema: BlockSchema): CtyType {
  let type = objectTypes.get(schema)
  if (!type) {
    const attributes: Record<string, CtyType> = Object.create(null)
    for (const [name, spec] of Object.entries(schema.attributes)) attributes[name] = spec.type
    type = ['object', attributes]
    objectTypes.set(schema, type)
  }
  return type
}

/** Structural rules Terraform enforces when it loads a schema; checked in tests so a bad schema fails
 * there and not in a user's `terraform plan`. */
export function schemaProblems(schema: BlockSchema, kind: 'resource' | 'data source' | 'provider'): string[] {
  const problems: string[] = []
  for (const [name, spec] of Object.entries(schema.attributes)) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) problems.push(`${name}: attribute names are lower_snake_case`)
    const modes = [spec.required, spec.optional, spec.computed].filter(Boolean).length
    if (modes === 0) problems.push(`${name}: must be required, optional or computed`)
    if (spec.required && (spec.optional || spec.computed)) problems.push(`${name}: required excludes optional and computed`)
    if (spec.default !== undefined && !(spec.optional && spec.computed)) problems.push(`${name}: a default needs optional+computed`)
    if (spec.writeOnly) {
      if (kind !== 'resource') problems.push(`${name}: write-only attributes exist only on managed resources`)
      if (spec.computed) problems.push(`${name}: write-only attributes cannot be computed`)
    }
    if (spec.useStateForUnknown && !spec.computed) problems.push(`${name}: useStateForUnknown needs computed`)
    if (!spec.description) problems.push(`${name}: needs a description`)
  }
  return problems
}

/** tfplugin6.Schema as a plain object for the gRPC layer. */
export function toProtoSchema(schema: BlockSchema): unknown {
  return {
    version: schema.version,
    block: {
      version: schema.version,
      description: schema.description,
      description_kind: 'MARKDOWN',
      attributes: Object.entries(schema.attributes)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, spec]) => ({
          name,
          type: Buffer.from(typeToJson(spec.type)),
          description: spec.description,
          description_kind: 'MARKDOWN',
          required: Boolean(spec.required),
          optional: Boolean(spec.optional),
          computed: Boolean(spec.computed),
          sensitive: Boolean(spec.sensitive),
          write_only: Boolean(spec.writeOnly),
        })),
      block_types: [],
    },
  }
}
