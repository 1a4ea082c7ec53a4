// The destination kinds, by `type`.
import type { DestinationKindName } from '../../schemas/destination.js'
import type { DestinationKind } from './destination-kind.js'
import { elasticsearchKind } from './elasticsearch.js'
import { fileKind } from './file.js'
import { splunkHecKind } from './splunk-hec.js'
import { sumoHttpKind } from './sumo-http.js'
import { webhookKind } from './webhook.js'

const ALL = [splunkHecKind, elasticsearchKind, sumoHttpKind, webhookKind, fileKind] as unknown as DestinationKind[]

export const destinationKinds: ReadonlyMap<string, DestinationKind> = new Map(ALL.map((k) => [k.type, k]))

export function findDestinationKind(type: string): DestinationKind | undefined {
  return destinationKinds.get(type as DestinationKindName)
}
