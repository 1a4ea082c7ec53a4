// `splunk_hec`: Splunk's HTTP Event Collector. Each event is an envelope (`time` in epoch seconds,
// `source`, `sourcetype`, optional `index`, flat `fields`, and the upstream record as `event`), the
// batch's envelopes back to back in one POST to <url>/services/collector/event.
//
// With `indexerAck`, every request names this destination's channel (a GUID kept with its state, so a
// restart asks about the same acknowledgements) and Splunk answers an ack id; the batch is delivered
// only once /services/collector/ack says `true` for it. `false` means still indexing, failed or
// unknown alike, so the delivery loop sends a batch again when its acknowledgement does not come in
// time, and never gives it up.
import crypto from 'node:crypto'
import { SplunkHecConfig } from '../../schemas/destinations/splunk-hec.js'
import { DeliveryError, type DestinationKind, type ItemAnswer, type OutgoingEvent } from './destination-kind.js'
import { httpFailure, metadataOf } from './wire.js'

interface HecAnswer {
  text?: string
  code?: number
  ackId?: number
  'invalid-event-number'?: number
}

export const splunkHecKind: DestinationKind<SplunkHecConfig> = {
  type: 'splunk_hec',
  guarantee: 'at-least-once; with indexerAck, a batch counts as delivered only once Splunk acknowledges it was indexed',
  configSchema: SplunkHecConfig,
  secretKeys: ['token'],
  checkConfig: () => [],
  acknowledges: (config) => config.indexerAck === true,
  async createSender(config, ctx) {
    const base = config.url.replace(/\/+$/, '')
    const state = (ctx.kindState ?? {}) as { channel?: string }
    const channel = state.channel ?? crypto.randomUUID()
    const headers: Record<string, string> = { authorization: `Splunk ${config.token}`, 'content-type': 'application/json' }
    if (config.indexerAck) headers['x-splunk-request-channel'] = channel
    const metadataCache = new Map<string, Record<string, unknown>>()
    let stateSaved = state.channel !== undefined

    const envelope = (e: OutgoingEvent): string => {
      const metadata = metadataOf(e, metadataCache)
      // Splunk's indexed fields are flat strings; a leading underscore is Splunk's own namespace.
      const fields: Record<string, string> = {}
      for (const [key, value] of Object.entries(metadata)) {
        if (key === '_source') continue
        fields[key.replace(/^_+/, '') || key] = typeof value === 'string' ? value : JSON.stringify(value)
      }
      const time = epochSeconds(e.timestamp)
      const source = config.source ?? (typeof metadata._source === 'string' ? metadata._source : 'openc2c')
      const sourcetype = config.sourcetype ?? `openc2c:${e.type}`
      const index = config.index !== undefined ? `,"index":${JSON.stringify(config.index)}` : ''
      return `{"time":${time},"source":${JSON.stringify(source)},"sourcetype":${JSON.stringify(sourcetype)}${index},"fields":${JSON.stringify(fields)},"event":${e.raw}}`
    }

    return {
      kindState: () => {
        if (stateSaved || !config.indexerAck) return undefined
        stateSaved = true
        return { channel }
      },
      async send(batch) {
        const body = batch.events.map(envelope).join('')
        const res = await ctx.http.send('event', `${base}/services/collector/event`, { method: 'POST', headers, body })
        const text = await ctx.http.readText('event', res)
        const answer = parseAnswer(text)
        if (res.status === 400 && typeof answer?.['invalid-event-number'] === 'number') {
          // Splunk took the envelopes before the bad one, refused that one, and did not look at the rest.
          // With indexer acknowledgement nothing counts without an ack, and a 400 carries no ack id:
          // the envelopes before the bad one are sent again too, and count once acknowledged.
          const bad = answer['invalid-event-number']
          const reason = `event refused: ${answer.text ?? text.slice(0, 200)} (code ${answer.code})`
          const before: ItemAnswer = config.indexerAck ? { ok: false, retry: true, reason: 'sent again for an acknowledgement' } : { ok: true }
          const items: ItemAnswer[] = batch.events.map((_, i) => (i < bad ? before : i === bad ? { ok: false, retry: false, reason } : { ok: false, retry: true, reason: 'after a refused event' }))
          return { kind: 'answered', items }
        }
        if (res.status !== 200) throw httpFailure('event', res, text)
        if (!config.indexerAck) return { kind: 'answered' }
        if (typeof answer?.ackId !== 'number') throw new DeliveryError('retry', 'hec.ack.missing', `event answered 200 without an ackId although indexerAck is on: ${text.slice(0, 200)}`)
        return { kind: 'awaiting-ack', ackId: String(answer.ackId) }
      },
      async pollAcks(ackIds) {
        const res = await ctx.http.send('ack', `${base}/services/collector/ack?channel=${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ acks: ackIds.map(Number) }),
        })
        const text = await ctx.http.readText('ack', res)
        if (res.status !== 200) throw httpFailure('ack', res, text)
        const acks = (parseAnswer(text) as { acks?: Record<string, boolean> } | undefined)?.acks ?? {}
        return new Set(ackIds.filter((id) => acks[id] === true))
      },
    }
  },
}

function parseAnswer(text: string): HecAnswer | undefined {
  try {
    return JSON.parse(text) as HecAnswer
  } catch {
    return undefined
  }
}

/** `2026-01-01T00:00:00.123456Z` → `1767225600.123456`: HEC's time is seconds, with decimals. */
export function epochSeconds(timestamp: string): string {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6})\d*)?Z$/.exec(timestamp)
  const ms = Date.parse(match ? `${match[1]}Z` : timestamp)
  if (Number.isNaN(ms)) return (Date.now() / 1000).toFixed(3)
  const fraction = match?.[2] ? `.${match[2].padEnd(6, '0')}` : ''
  return `${Math.floor(ms / 1000)}${fraction}`
}
