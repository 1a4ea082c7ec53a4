// `elasticsearch`: the `_bulk` API. Every event is a `create` into the configured index or data
// stream under a stable `_id` (wire.ts): creating one that exists answers 409, which is delivery
// success, so sending again (a crash, a replay, a source collected twice) never duplicates. A 200
// with `errors: true` names each item's outcome: 429 and 5xx items are sent again, other refusals are
// dead letters with Elasticsearch's reason.
import { ElasticsearchConfig } from '../../schemas/destinations/elasticsearch.js'
import type { ValidationIssue } from '../../schemas/error-body.js'
import { DeliveryError, type DestinationKind, type ItemAnswer } from './destination-kind.js'
import { eventObjectJson, httpFailure, stableEventId } from './wire.js'

interface BulkItem {
  status?: number
  error?: { type?: string; reason?: string }
}

export const elasticsearchKind: DestinationKind<ElasticsearchConfig> = {
  type: 'elasticsearch',
  guarantee: 'exactly once per stable _id: a create that exists answers 409, counted as delivered',
  configSchema: ElasticsearchConfig,
  secretKeys: ['apiKey', 'password'],
  checkConfig(config) {
    const c = config as ElasticsearchConfig
    const issues: ValidationIssue[] = []
    if (c.apiKey !== undefined && (c.username !== undefined || c.password !== undefined)) {
      issues.push({ path: '$.apiKey', message: 'cannot be combined with username/password; use one way to authenticate' })
    } else if (c.apiKey === undefined && (c.username === undefined || c.password === undefined)) {
      issues.push({ path: c.username === undefined ? '$.username' : '$.password', message: 'is required: give apiKey, or username and password' })
    }
    return issues
  },
  async createSender(config, ctx) {
    const authorization = config.apiKey ? `ApiKey ${config.apiKey}` : `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`
    const action = (id: string) => `{"create":{"_index":${JSON.stringify(config.index)},"_id":"${id}"}}`
    const url = `${config.url.replace(/\/+$/, '')}/_bulk`
    return {
      async send(batch) {
        const lines: string[] = []
        for (const e of batch.events) lines.push(action(stableEventId(e.sourceType, e.id)), eventObjectJson(e, '@timestamp'))
        const body = `${lines.join('\n')}\n`
        const res = await ctx.http.send('bulk', url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-ndjson' }, body })
        const text = await ctx.http.readText('bulk', res)
        if (res.status !== 200) throw httpFailure('bulk', res, text)
        let answer: { errors?: boolean; items?: Record<string, BulkItem>[] }
        try {
          answer = JSON.parse(text)
        } catch {
          throw new DeliveryError('retry', 'bulk.invalid', `bulk answered 200 with a body that is not JSON: ${text.slice(0, 200)}`)
        }
        if (!answer.errors) return { kind: 'answered' }
        if (!Array.isArray(answer.items) || answer.items.length !== batch.events.length) {
          throw new DeliveryError('retry', 'bulk.items', `bulk answered errors: true with ${answer.items?.length ?? 'no'} items for ${batch.events.length} actions`)
        }
        return { kind: 'answered', items: answer.items.map(itemAnswer) }
      },
    }
  },
}

function itemAnswer(entry: Record<string, BulkItem>): ItemAnswer {
  const item = entry.create ?? Object.values(entry)[0] ?? {}
  const status = item.status ?? 0
  if ((status >= 200 && status < 300) || status === 409) return { ok: true }
  const reason = `${status}${item.error?.type ? ` ${item.error.type}` : ''}${item.error?.reason ? `: ${item.error.reason}` : ''}`
  return { ok: false, retry: status === 429 || status >= 500 || status === 0, reason }
}
