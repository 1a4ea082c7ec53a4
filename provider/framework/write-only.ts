// Write-only attributes wherever they sit: at the top level or inside a nested block. Terraform refuses a
// plan or a state that holds a value for any of them, so every answer goes through these helpers.

import type { AttributePath } from './attribute-path.js'
import type { BlockSchema } from './schema.js'
import { isRecord, record, type TfRecord, type TfValue } from '../tfvalue/value.js'

/** [attribute] or [block, attribute]. */
export type WriteOnlyPath = readonly [string] | readonly [string, string]

const cache = new WeakMap<BlockSchema, WriteOnlyPath[]>()

export function writeOnlyPaths(schema: BlockSchema): WriteOnlyPath[] {
  let paths = cache.get(schema)
  if (!paths) {
    paths = []
    for (const [name, spec] of Object.entries(schema.attributes)) if (spec.writeOnly) paths.push([name])
    for (const [block, nested] of Object.entries(schema.blocks ?? {})) {
      for (const [name, spec] of Object.entries(nested.attributes)) if (spec.writeOnly) paths.push([block, name])
    }
    cache.set(schema, paths)
  }
  return paths
}

export function toAttributePath(path: WriteOnlyPath): AttributePath {
  return path.map((attribute) => ({ attribute }))
}

/** The value at a path; null when the path's block is absent. */
export function valueAt(value: TfRecord, path: WriteOnlyPath): TfValue {
  const [first, second] = path
  const top = value[first] ?? null
  if (second === undefined) return top
  return isRecord(top) ? (top[second] ?? null) : null
}

/** A copy with every write-only value null. Blocks are copied too: the input may be the configuration
 * itself, which must stay as Terraform sent it. */
export function withoutWriteOnly(schema: BlockSchema, value: TfRecord): TfRecord {
  const paths = writeOnlyPaths(schema)
  if (paths.length === 0) return record(value)
  const copy = record(value)
  for (const [first, second] of paths) {
    if (second === undefined) copy[first] = null
    else {
      const block = copy[first]
      if (isRecord(block)) copy[first] = record({ ...block, [second]: null })
    }
  }
  return copy
}
