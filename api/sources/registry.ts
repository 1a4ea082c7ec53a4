// The source types this service knows, by `schemaRef.type`.
import { chatGptComplianceSourceType } from './chatgpt-compliance/index.js'
import type { SourceTypeDefinition } from './source-type.js'

const ALL: readonly SourceTypeDefinition[] = [chatGptComplianceSourceType]

export const sourceTypes: ReadonlyMap<string, SourceTypeDefinition> = new Map(ALL.map((t) => [t.type, t]))

export function findSourceType(type: string): SourceTypeDefinition | undefined {
  return sourceTypes.get(type)
}

export function sourceTypeNames(): string[] {
  return [...sourceTypes.keys()]
}
