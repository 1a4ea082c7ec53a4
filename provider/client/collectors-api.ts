// Collector calls, in the sequences the Sumo Terraform provider uses (docs/terraform-provider.md):
// an update is a full replacement (ApiClient.replace).

import type { Collector, CollectorInput } from '../../schemas/collector.js'
import type { ApiClient } from './api-client.js'

type Envelope = { collector: Collector }

export async function getCollector(api: ApiClient, id: string, signal?: AbortSignal): Promise<Collector | null> {
  const response = await api.request<Envelope>('GET', `v1/collectors/${encodeURIComponent(id)}`, { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.collector ?? null)
}

export async function getCollectorByName(api: ApiClient, name: string, signal?: AbortSignal): Promise<Collector | null> {
  const response = await api.request<Envelope>('GET', `v1/collectors/name/${encodeURIComponent(name)}`, { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.collector ?? null)
}

export async function createCollector(api: ApiClient, collector: CollectorInput, signal?: AbortSignal): Promise<Collector> {
  const response = await api.request<Envelope>('POST', 'v1/collectors', { body: { collector: { collectorType: 'Hosted', ...collector } }, ...(signal && { signal }) })
  return requireCollector(response.body, 'POST v1/collectors')
}

export async function updateCollector(api: ApiClient, id: string, collector: CollectorInput, signal?: AbortSignal): Promise<Collector> {
  const path = `v1/collectors/${encodeURIComponent(id)}`
  const response = await api.replace<Envelope>(path, { collector: { ...collector, id: Number(id), collectorType: 'Hosted' } }, signal)
  return requireCollector(response.body, `PUT ${path}`)
}

/** Deleting what is already gone counts as done (someone removed it outside Terraform). */
export async function deleteCollector(api: ApiClient, id: string, signal?: AbortSignal): Promise<void> {
  await api.request('DELETE', `v1/collectors/${encodeURIComponent(id)}`, { accept: [404], ...(signal && { signal }) })
}

function requireCollector(body: Envelope | undefined, request: string): Collector {
  if (!body?.collector || typeof body.collector.id !== 'number') throw new Error(`${request}: the answer has no collector id`)
  return body.collector
}
