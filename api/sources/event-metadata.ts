// The metadata stored with every event of a source, as Sumo stamps it: the source's name (_source),
// its category (_sourceCategory), its collector (_collector) and its custom fields. Every source type
// shares these config keys.

export function sourceEventMetadata(config: Record<string, unknown>, collectorName: string): Record<string, unknown> {
  const c = config as { name: string; category?: string; fields?: Record<string, unknown> }
  const metadata: Record<string, unknown> = { ...(c.fields ?? {}) }
  metadata._source = c.name
  if (c.category !== undefined) metadata._sourceCategory = c.category
  metadata._collector = collectorName
  return metadata
}
