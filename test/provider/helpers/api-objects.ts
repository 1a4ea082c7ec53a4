// Collectors and sources as the service returns them (schemas/), built from the fields a test cares about.

import type { Collector } from '../../../schemas/collector.js'
import type { Source } from '../../../schemas/source.js'

export function apiSource(fields: Partial<Source> & { id: number; config: Record<string, unknown> }): Source {
  return {
    name: typeof fields.config.name === 'string' ? fields.config.name : '',
    sourceType: 'Universal',
    schemaRef: { type: 'ChatGPT Compliance' },
    state: { state: 'Pending' },
    alive: true,
    ...fields,
  }
}

export function apiCollector(fields: Partial<Collector> & { id: number; name: string }): Collector {
  return { timeZone: 'UTC', fields: {}, links: [], collectorType: 'Hosted', collectorVersion: '', lastSeenAlive: 0, alive: true, ...fields }
}
