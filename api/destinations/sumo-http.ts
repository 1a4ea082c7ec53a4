// `sumo_http`: a Sumo Logic HTTP Logs Source. Each request carries one metadata group (X-Sumo-Name
// from `_source`, X-Sumo-Category from `_sourceCategory`, X-Sumo-Fields from the source's fields) and
// at most 1 MB of uncompressed lines, gzip-compressed; each line is an upstream record as stored. The
// source's URL holds its token, so the whole URL is the secret.
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { SumoHttpConfig } from '../../schemas/destinations/sumo-http.js'
import { DeliveryError, type DestinationKind, type ItemAnswer, type OutgoingEvent } from './destination-kind.js'
import { httpFailure, metadataOf } from './wire.js'

const gzip = promisify(zlib.gzip)

/** Sumo's limit on one request, read as bytes (uncompressed): "up to but not exceeding 1MB". */
export const SUMO_MAX_BYTES = 1_000_000

export const sumoHttpKind: DestinationKind<SumoHttpConfig> = {
  type: 'sumo_http',
  guarantee: 'at-least-once: Sumo cannot deduplicate, so a batch sent again after a crash may appear twice',
  configSchema: SumoHttpConfig,
  secretKeys: ['url'],
  checkConfig: () => [],
  limits: { maxBytes: SUMO_MAX_BYTES },
  async createSender(config, ctx) {
    const metadataCache = new Map<string, Record<string, unknown>>()
    const post = async (events: OutgoingEvent[]): Promise<void> => {
      const metadata = metadataOf(events[0]!, metadataCache)
      const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' }
      if (typeof metadata._source === 'string') headers['x-sumo-name'] = headerValue(metadata._source)
      if (typeof metadata._sourceCategory === 'string') headers['x-sumo-category'] = headerValue(metadata._sourceCategory)
      const fields = Object.entries(metadata)
        .filter(([key]) => !key.startsWith('_'))
        .map(([key, value]) => `${fieldText(key)}=${fieldText(typeof value === 'string' ? value : JSON.stringify(value))}`)
      if (fields.length > 0) headers['x-sumo-fields'] = fields.join(',')
      const body = await gzip(`${events.map((e) => e.raw).join('\n')}\n`)
      const res = await ctx.http.send('sumo', config.url, { method: 'POST', headers, body })
      const text = await ctx.http.readText('sumo', res)
      if (res.status !== 200) throw httpFailure('sumo', res, text)
    }
    return {
      async send(batch) {
        const requests = groups(batch.events)
        const items: ItemAnswer[] = batch.events.map(() => ({ ok: true }))
        let done = 0
        for (const request of requests) {
          try {
            await post(request.events)
            done++
          } catch (err) {
            // Nothing sent yet: the whole batch failed, as one request would. Otherwise what Sumo
            // took stays taken and only the rest is sent again.
            if (done === 0 || !(err instanceof DeliveryError) || err.class_ === 'config') throw err
            const reason = err.message
            for (const r of requests.slice(done)) for (const i of r.indexes) items[i] = { ok: false, retry: err.class_ !== 'refused', reason }
            break
          }
        }
        return { kind: 'answered', ...(done < requests.length ? { items } : {}) }
      },
    }
  },
}

/** The batch split into requests: one metadata group each, at most SUMO_MAX_BYTES of lines each. */
function groups(events: OutgoingEvent[]): { events: OutgoingEvent[]; indexes: number[] }[] {
  const byMetadata = new Map<string, { events: OutgoingEvent[]; indexes: number[]; bytes: number }[]>()
  events.forEach((e, i) => {
    const list = byMetadata.get(e.metadataJson) ?? []
    let current = list.at(-1)
    const bytes = Buffer.byteLength(e.raw) + 1
    if (!current || (current.bytes + bytes > SUMO_MAX_BYTES && current.events.length > 0)) {
      current = { events: [], indexes: [], bytes: 0 }
      list.push(current)
    }
    current.events.push(e)
    current.indexes.push(i)
    current.bytes += bytes
    byMetadata.set(e.metadataJson, list)
  })
  return [...byMetadata.values()].flat()
}

/** Header values cannot hold control characters. */
function headerValue(text: string): string {
  return text.replace(/[\x00-\x1F\x7F]/g, ' ')
}

/** X-Sumo-Fields is `k=v,k=v`: commas and equals signs inside a key or value would break it. */
function fieldText(text: string): string {
  return headerValue(text).replace(/[,=]/g, '_')
}
