// `webhook`: NDJSON batches of the events API's event objects POSTed to any endpoint. Optional gzip,
// custom headers (their values are secrets), an HMAC-SHA256 signature of the body as sent, and a
// batch id that stays the same when the batch is sent again, so the receiver can deduplicate.
import crypto from 'node:crypto'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { WebhookConfig } from '../../schemas/destinations/webhook.js'
import { jsonPath } from '../validation.js'
import type { DestinationKind } from './destination-kind.js'
import { eventObjectJson, httpFailure } from './wire.js'

const gzip = promisify(zlib.gzip)

/** Headers the delivery itself sets; a configured header may not replace them. */
const RESERVED_HEADERS = ['content-type', 'content-encoding', 'content-length', 'host', 'transfer-encoding', 'connection', 'x-openc2c-batch-id', 'x-openc2c-signature']

export const webhookKind: DestinationKind<WebhookConfig> = {
  type: 'webhook',
  guarantee: 'at-least-once; X-Openc2c-Batch-Id is the same on every resend of a batch, for the receiver to deduplicate',
  configSchema: WebhookConfig,
  secretKeys: ['headers', 'signingKey'],
  checkConfig(config) {
    const headers = (config as WebhookConfig).headers ?? {}
    return Object.keys(headers)
      .filter((name) => RESERVED_HEADERS.includes(name.toLowerCase()))
      // jsonPath quotes a name such as Content-Type, as every other issue path into the body does.
      .map((name) => ({ path: jsonPath('$', ['headers', name]), message: 'is set by the delivery itself and cannot be configured' }))
  },
  async createSender(config, ctx) {
    return {
      async send(batch) {
        const text = `${batch.events.map((e) => eventObjectJson(e)).join('\n')}\n`
        const body = config.gzip ? await gzip(text) : text
        const headers: Record<string, string> = { ...(config.headers ?? {}), 'content-type': 'application/x-ndjson', 'x-openc2c-batch-id': batch.batchId }
        if (config.gzip) headers['content-encoding'] = 'gzip'
        if (config.signingKey) headers['x-openc2c-signature'] = `sha256=${crypto.createHmac('sha256', config.signingKey).update(body).digest('hex')}`
        const res = await ctx.http.send('webhook', config.url, { method: 'POST', headers, body })
        const answer = await ctx.http.readText('webhook', res)
        if (res.status < 200 || res.status >= 300) throw httpFailure('webhook', res, answer)
        return { kind: 'answered' }
      },
    }
  },
}
