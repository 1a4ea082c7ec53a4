// ETags and If-Match (docs/sumo-collector-api.md §6). The tag is derived from the entity's write
// version, so it is stable across reads, changes with every write, and ignores transient fields
// such as `lastSeenAlive` or the source's runtime state.
import crypto from 'node:crypto'
import { Errors } from './api-error.js'

export type EntityKind = 'collector' | 'source'

export function etagOf(kind: EntityKind, id: number, version: number): string {
  return `"${crypto.createHash('md5').update(`${kind}:${id}:${version}`).digest('hex')}"`
}

/**
 * Throws 403 when If-Match is absent or empty (the Sumo provider sends an empty header when its GET
 * had no ETag), and 412 when none of its tags is the current one. `*` matches any current version.
 */
export function checkIfMatch(header: string | string[] | undefined, current: string): void {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim()
  if (value === '') throw Errors.ifMatchRequired()
  if (value === '*') return
  const tags = value.split(',').map((t) => t.trim().replace(/^W\//, ''))
  if (!tags.includes(current)) throw Errors.preconditionFailed()
}
