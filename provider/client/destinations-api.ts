// Destination calls (/api/v1/destinations, an openc2c extension with the conventions of collectors and
// sources). An update is a full replacement: GET for the ETag, then PUT with If-Match. The GET's answer is
// handed to the caller, which needs it to know which secrets the service already holds.

import type { Destination } from '../../schemas/destination.js'
import type { ApiClient } from './api-client.js'

type Envelope = { destination: Destination }

const destinationPath = (id?: string): string => `v1/destinations${id === undefined ? '' : `/${encodeURIComponent(id)}`}`

/** The destination, or null when it is gone. */
export async function getDestination(api: ApiClient, id: string, signal?: AbortSignal): Promise<Destination | null> {
  const response = await api.request<Envelope>('GET', destinationPath(id), { accept: [404], ...(signal && { signal }) })
  return response.status === 404 ? null : (response.body?.destination ?? null)
}

export async function createDestination(api: ApiClient, destination: object, signal?: AbortSignal): Promise<Destination> {
  const response = await api.request<Envelope>('POST', destinationPath(), { body: { destination }, ...(signal && { signal }) })
  return requireDestination(response.body, `POST ${destinationPath()}`)
}

/** GET, then PUT of what `build` makes of the current destination, with the GET's ETag in If-Match: a
 * change made meanwhile fails with 412 instead of being overwritten. */
export async function updateDestination(api: ApiClient, id: string, build: (current: Destination) => object, signal?: AbortSignal): Promise<Destination> {
  const path = destinationPath(id)
  const current = await api.request<Envelope>('GET', path, signal && { signal })
  const body = build(requireDestination(current.body, `GET ${path}`))
  const response = await api.request<Envelope>('PUT', path, { body: { destination: { ...body, id: Number(id) } }, ifMatch: current.etag ?? '', ...(signal && { signal }) })
  return requireDestination(response.body, `PUT ${path}`)
}

/** Deleting what is already gone counts as done (someone removed it outside Terraform). */
export async function deleteDestination(api: ApiClient, id: string, signal?: AbortSignal): Promise<void> {
  await api.request('DELETE', destinationPath(id), { accept: [404], ...(signal && { signal }) })
}

function requireDestination(body: Envelope | undefined, request: string): Destination {
  if (!body?.destination || typeof body.destination.id !== 'number') throw new Error(`${request}: the answer has no destination id`)
  return body.destination
}
