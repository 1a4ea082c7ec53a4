// Source calls. Cloud-to-Cloud sources are always sourceType "Universal"; an update is a full replacement
// (ApiClient.replace).

import type { Source, SourceInput } from '../../schemas/source.js'
import type { ApiClient } from './api-client.js'
import { SourceReads } from './source-reads.js'

/** How the API shows every secret it returns; a PUT carrying it keeps the stored secret. */
export const MASKED_SECRET = '********'

/** What the provider sends of a source: the rest of the envelope is fixed. */
export type SourceBody = Pick<SourceInput, 'schemaRef' | 'config'>

type Envelope = { source: Source }

const readers = new WeakMap<ApiClient, SourceReads>()

function reads(api: ApiClient): SourceReads {
  let reader = readers.get(api)
  if (!reader) {
    reader = new SourceReads({
      getOne: (collectorId, sourceId, signal) => fetchSource(api, collectorId, sourceId, signal),
      list: (collectorId, signal) => listSources(api, collectorId, signal),
    })
    readers.set(api, reader)
  }
  return reader
}

const sourcePath = (collectorId: string, sourceId?: string): string =>
  `v1/collectors/${encodeURIComponent(collectorId)}/sources${sourceId === undefined ? '' : `/${encodeURIComponent(sourceId)}`}`

/** One source, or null when it (or its collector) is gone. Reads that arrive together are batched into
 * one list request (source-reads.ts). */
export function getSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<Source | null> {
  return reads(api).read(collectorId, sourceId, signal)
}

async function fetchSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<Source | null> {
  const response = await api.request<Envelope>('GET', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.source ?? null)
}

/** All sources of a collector; null when the collector is gone. */
export async function listSources(api: ApiClient, collectorId: string, signal?: AbortSignal): Promise<Source[] | null> {
  const response = await api.request<{ sources: Source[] }>('GET', sourcePath(collectorId), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.sources ?? [])
}

export async function createSource(api: ApiClient, collectorId: string, source: SourceBody, signal?: AbortSignal): Promise<Source> {
  reads(api).invalidate(collectorId)
  const response = await api.request<Envelope>('POST', sourcePath(collectorId), { body: { source: { sourceType: 'Universal', ...source } }, ...(signal && { signal }) })
  return requireSource(response.body, `POST ${sourcePath(collectorId)}`)
}

export async function updateSource(api: ApiClient, collectorId: string, sourceId: string, source: SourceBody, signal?: AbortSignal): Promise<Source> {
  const path = sourcePath(collectorId, sourceId)
  reads(api).invalidate(collectorId)
  const response = await api.replace<Envelope>(path, { source: { ...source, id: Number(sourceId), sourceType: 'Universal' } }, signal)
  return requireSource(response.body, `PUT ${path}`)
}

export async function deleteSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<void> {
  reads(api).invalidate(collectorId)
  await api.request('DELETE', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
}

function requireSource(body: Envelope | undefined, request: string): Source {
  if (!body?.source || typeof body.source.id !== 'number') throw new Error(`${request}: the answer has no source id`)
  return body.source
}
