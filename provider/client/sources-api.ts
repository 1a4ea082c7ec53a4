// Source calls (spec/collector-api.md §8.4). Cloud-to-Cloud sources are always sourceType "Universal".

import type { ApiClient } from './api-client.js'
import { SourceReads } from './source-reads.js'
import type { SourceWire } from './wire-types.js'

type Envelope = { source: SourceWire }

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
export function getSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<SourceWire | null> {
  return reads(api).read(collectorId, sourceId, signal)
}

async function fetchSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<SourceWire | null> {
  const response = await api.request<Envelope>('GET', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.source ?? null)
}

/** All sources of a collector; null when the collector is gone. */
export async function listSources(api: ApiClient, collectorId: string, signal?: AbortSignal): Promise<SourceWire[] | null> {
  const response = await api.request<{ sources: SourceWire[] }>('GET', sourcePath(collectorId), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.sources ?? [])
}

export async function createSource(api: ApiClient, collectorId: string, source: SourceWire, signal?: AbortSignal): Promise<SourceWire> {
  reads(api).invalidate(collectorId)
  const response = await api.request<Envelope>('POST', sourcePath(collectorId), { body: { source: { sourceType: 'Universal', ...source } }, ...(signal && { signal }) })
  return requireSource(response.body, `POST ${sourcePath(collectorId)}`)
}

export async function updateSource(api: ApiClient, collectorId: string, sourceId: string, source: SourceWire, signal?: AbortSignal): Promise<SourceWire> {
  const path = sourcePath(collectorId, sourceId)
  reads(api).invalidate(collectorId)
  const current = await api.request<Envelope>('GET', path, signal && { signal })
  const response = await api.request<Envelope>('PUT', path, {
    body: { source: { ...source, id: Number(sourceId), sourceType: 'Universal' } },
    ifMatch: current.etag ?? '',
    ...(signal && { signal }),
  })
  return requireSource(response.body, `PUT ${path}`)
}

export async function deleteSource(api: ApiClient, collectorId: string, sourceId: string, signal?: AbortSignal): Promise<void> {
  reads(api).invalidate(collectorId)
  await api.request('DELETE', sourcePath(collectorId, sourceId), { accept: [404], ...(signal && { signal }) })
}

function requireSource(body: Envelope | undefined, request: string): SourceWire {
  if (!body?.source || typeof body.source.id !== 'number') throw new Error(`${request}: the answer has no source id`)
  return body.source
}
