// A destination's filter as the store's queries take it. `sourceCategory` is a glob whose `*` matches
// any run of characters, matched against each event's `_sourceCategory` (the category it was
// collected under); event types may be given by a source type's short names.
import type { DestinationFilter } from '../../schemas/destination.js'
import type { SourceTypes } from '../sources/registry.js'
import type { EventSelection } from '../store/delivery-repository.js'

export function eventSelection(filter: DestinationFilter, sourceTypes: SourceTypes): EventSelection {
  return {
    collectorIds: filter.collectorIds ?? [],
    sourceIds: filter.sourceIds ?? [],
    eventTypes: filter.eventTypes && filter.eventTypes.length > 0 ? sourceTypes.expandEventTypes(filter.eventTypes) : [],
    categoryLike: filter.sourceCategory === undefined ? undefined : globToLike(filter.sourceCategory),
  }
}

/** `chatgpt/*` → `chatgpt/%`, with LIKE's own wildcards and the escape character taken literally. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%')
}
