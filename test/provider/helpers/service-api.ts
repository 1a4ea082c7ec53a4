// Direct calls to the service, for tests that change things behind Terraform's back (drift) and check
// what Terraform left behind.

import type { ServiceEndpoint } from './terraform.js'

export class ServiceApi {
  constructor(private readonly service: ServiceEndpoint) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; etag: string | null; body: any }> {
    const response = await fetch(`${this.service.baseUrl}/api/v1/${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${this.service.accessId}:${this.service.accessKey}`).toString('base64')}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, etag: response.headers.get('etag'), body: text ? JSON.parse(text) : undefined }
  }

  async getSource(collectorId: string | number, sourceId: string | number) {
    return this.request('GET', `collectors/${collectorId}/sources/${sourceId}`)
  }

  /** GET + PUT with If-Match, changing the source's config as `change` says. */
  async changeSourceConfig(collectorId: string | number, sourceId: string | number, change: (config: Record<string, unknown>) => Record<string, unknown>) {
    const current = await this.getSource(collectorId, sourceId)
    if (current.status !== 200) throw new Error(`GET source ${sourceId}: ${current.status}`)
    const source = current.body.source
    const response = await this.request('PUT', `collectors/${collectorId}/sources/${sourceId}`, { source: { ...source, config: change(source.config) } }, { 'if-match': current.etag ?? '' })
    if (response.status !== 200) throw new Error(`PUT source ${sourceId}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body.source
  }

  async deleteSource(collectorId: string | number, sourceId: string | number) {
    return this.request('DELETE', `collectors/${collectorId}/sources/${sourceId}`)
  }

  async getCollector(id: string | number) {
    return this.request('GET', `collectors/${id}`)
  }

  async changeCollector(id: string | number, change: (collector: Record<string, unknown>) => Record<string, unknown>) {
    const current = await this.getCollector(id)
    const response = await this.request('PUT', `collectors/${id}`, { collector: change(current.body.collector) }, { 'if-match': current.etag ?? '' })
    if (response.status !== 200) throw new Error(`PUT collector ${id}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body.collector
  }

  async getDestination(id: string | number) {
    return this.request('GET', `destinations/${id}`)
  }

  /** GET + PUT with If-Match, changing the destination as `change` says (secrets come back masked, and
   * the mask keeps them). */
  async changeDestination(id: string | number, change: (destination: Record<string, any>) => Record<string, unknown>) {
    const current = await this.getDestination(id)
    if (current.status !== 200) throw new Error(`GET destination ${id}: ${current.status}`)
    const { name, type, enabled, config, filter, startFrom } = current.body.destination
    const response = await this.request('PUT', `destinations/${id}`, { destination: change({ name, type, enabled, config, filter, startFrom }) }, { 'if-match': current.etag ?? '' })
    if (response.status !== 200) throw new Error(`PUT destination ${id}: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body.destination
  }

  async deleteDestination(id: string | number) {
    return this.request('DELETE', `destinations/${id}`)
  }
}
