// Collector calls, in the sequences the Sumo provider uses (spec/collector-api.md §8.3): PUT is a full
// replacement and needs If-Match with the ETag of a fresh GET.

import type { ApiClient } from './api-client.js'
import type { CollectorWire } from './wire-types.js'

type Envelope = { collector: CollectorWire }

export async function getCollector(api: ApiClient, id: string, signal?: AbortSignal): Promise<CollectorWire | null> {
  const response = await api.request<Envelope>('GET', `v1/collectors/${encodeURIComponent(id)}`, { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.collector ?? null)
}

export async function getCollectorByName(api: ApiClient, name: string, signal?: AbortSignal): Promise<CollectorWire | null> {
  const response = await api.request<Envelope>('GET', `v1/collectors/name/${encodeURIComponent(name)}`, { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.collector ?? null)
}

export async function createCollector(api: ApiClient, collector: CollectorWire, signal?: AbortSignal): Promise<CollectorWire> {
  const response = await api.request<Envelope>('POST', 'v1/collectors', { body: { collector: { collectorType: 'Hosted', ...collector } }, ...(signal && { signal }) })
  return requireCollector(response.body, 'POST v1/collectors')
}

export async function updateCollector(api: ApiClient, id: string, collector: CollectorWire, signal?: AbortSignal): Promise<CollectorWire> {
  const path = `v1/collectors/${encodeURIComponent(id)}`
  const current = await api.request<Envelope>('GET', path, signal && { signal })
  const response = await api.request<Envelope>('PUT', path, {
    body: { collector: { ...collector, id: Number(id), collectorType: 'Hosted' } },
    ifMatch: current.etag ?? '',
    ...(signal && { signal }),
  })
  return requireCollector(response.body, `PUT ${path}`)
}

/** Deleting what is already gone counts as done (someone removed it outside Terraform). */
export async function deleteCollector(api: ApiClient, id: string, signal?: AbortSignal): Promise<void> {
  await api.request('DELETE', `v1/collectors/${encodeURIComponent(id)}`, { accept: [404], ...(signal && { signal }) })
}

function requireCollector(body: Envelope | undefined, request: string): CollectorWire {
  if (!body?.collector || typeof body.collector.id !== 'number') throw new Error(`${request}: the answer has no collector id`)
  return body.collector
}
