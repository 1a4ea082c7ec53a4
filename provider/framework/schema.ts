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

/**
 * A nested block with nesting mode SINGLE: written `name { ... }` at most once, null when absent. Its
 * attributes are configuration only (required or optional, maybe write-only): the planner copies a block
 * from the configuration and computes nothing inside it.
 */
export interface NestedBlockSpec {
  description: string
  attributes: Record<string, AttributeSpec>
}

export interface BlockSchema {
  version: number
  description: string
  attributes: Record<string, AttributeSpec>
  blocks?: Record<string, NestedBlockSpec>
}

/** Schemas are constants, and every value decoded or encoded needs the object type of its schema. */
const objectTypes = new WeakMap<BlockSchema, readonly ['object', Readonly<Record<string, CtyType>>]>()

export function objectTypeOf(schema: BlockSchema): CtyType {
  return objectType(schema)
}

/** The type of each top-level value: attributes, and blocks as objects. */
export function valueTypes(schema: BlockSchema): Readonly<Record<string, CtyType>> {
  return objectType(schema)[1]
}

function objectType(schema: BlockSchema): readonly ['object', Readonly<Record<string, CtyType>>] {
  let type = objectTypes.get(schema)
  if (!type) {
    const attributes: Record<string, CtyType> = Object.create(null)
    for (const [name, spec] of Object.entries(schema.attributes)) attributes[name] = spec.type
    for (const [name, block] of Object.entries(schema.blocks ?? {})) attributes[name] = blockType(block)
    type = ['object', attributes]
    objectTypes.set(schema, type)
  }
  return type
}

function blockType(block: NestedBlockSpec): CtyType {
  const attributes: Record<string, CtyType> = Object.create(null)
  for (const [name, spec] of Object.entries(block.attributes)) attributes[name] = spec.type
  return ['object', attributes]
}

/** Every top-level name of the schema's values: attributes, then blocks. */
export function valueNames(schema: BlockSchema): string[] {
  return [...Object.keys(schema.attributes), ...Object.keys(schema.blocks ?? {})]
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
  for (const [name, block] of Object.entries(schema.blocks ?? {})) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) problems.push(`${name}: block names are lower_snake_case`)
    if (Object.hasOwn(schema.attributes, name)) problems.push(`${name}: a block and an attribute share the name`)
    if (!block.description) problems.push(`${name}: needs a description`)
    const inner = schemaProblems({ version: schema.version, description: block.description, attributes: block.attributes }, kind)
    problems.push(...inner.map((problem) => `${name}.${problem}`))
    for (const [attribute, spec] of Object.entries(block.attributes)) {
      // The planner copies blocks from the configuration (plan.ts); it plans nothing inside them.
      if (spec.computed || spec.requiresReplace || spec.default !== undefined) problems.push(`${name}.${attribute}: attributes in a block are configuration only`)
    }
  }
  return problems
}

/** tfplugin6.Schema as a plain object for the gRPC layer. */
export function toProtoSchema(schema: BlockSchema): unknown {
  return { version: schema.version, block: protoBlock(schema.version, schema.description, schema.attributes, schema.blocks ?? {}) }
}

const byName = <T>([a]: [string, T], [b]: [string, T]): number => (a < b ? -1 : a > b ? 1 : 0)

function protoBlock(version: number, description: string, attributes: Record<string, AttributeSpec>, blocks: Record<string, NestedBlockSpec>): unknown {
  return {
    version,
    description,
    description_kind: 'MARKDOWN',
    attributes: Object.entries(attributes)
      .sort(byName)
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
    block_types: Object.entries(blocks)
      .sort(byName)
      .map(([name, block]) => ({ type_name: name, nesting: 'SINGLE', block: protoBlock(version, block.description, block.attributes, {}) })),
  }
}
