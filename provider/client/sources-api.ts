// Source calls (spec/collector-api.md §8.4). Cloud-to-Cloud sources are always sourceType "Universal".

import type { ApiClient } from './api-client.js'
import type { SourceWire } from './wire-types.js'

type Envelope = { source: SourceWire }

const sourcePath = (collectorId: string, sourceId?: string): string =>
  `v1/collectors/${encodeURIComponent(collectorId)}/sources${sourceId === undefined ? '' : `/${encodeURIComponent(sourceId)}`}`

export async function getSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<SourceWire | null> {
  const response = await api.request<Envelope>('GET', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.source ?? null)
}

export async function createSource(api: ApiClient, collectorId: string, source: SourceWire, signal?: AbortSignal): Promise<SourceWire> {
  const response = await api.request<Envelope>('POST', sourcePath(collectorId), { body: { source: { sourceType: 'Universal', ...source } }, ...(signal && { signal }) })
  return requireSource(response.body, `POST ${sourcePath(collectorId)}`)
}

export async function updateSource(api: ApiClient, collectorId: string, sourceId: string, source: SourceWire, signal?: AbortSignal): Promise<SourceWire> {
  const path = sourcePath(collectorId, sourceId)
  const current = await api.request<Envelope>('GET', path, signal && { signal })
  const response = await api.request<Envelope>('PUT', path, {
    body: { source: { ...source, id: Number(sourceId), sourceType: 'Universal' } },
    ifMatch: current.etag ?? '',
    ...(signal && { signal }),
  })
  return requireSource(response.body, `PUT ${path}`)
}

export async function deleteSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<void> {
  await api.request('DELETE', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
}

function requireSource(body: Envelope | undefined, request: string): SourceWire {
  if (!body?.source || typeof body.source.id !== 'number') throw new Error(`${request}: the answer has no source id`)
  return body.source
}
