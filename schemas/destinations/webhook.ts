// Config of the `webhook` destination: NDJSON batches POSTed to any HTTP endpoint (docs/destinations.md).
import { Type, type Static } from '@sinclair/typebox'
import { ReceiverUrl, SecretToken } from './common.js'

export const WebhookConfig = Type.Object(
  {
    url: ReceiverUrl('Where each batch is POSTed'),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), SecretToken('A header value'), {
        maxProperties: 32,
        description: 'Extra request headers (an Authorization header, say). Their values are secrets: they read back as "********"',
      }),
    ),
    gzip: Type.Optional(Type.Boolean({ default: false, description: 'Send bodies gzip-compressed (`Content-Encoding: gzip`)' })),
    signingKey: Type.Optional(SecretToken('Signs each body: `X-Openc2c-Signature: sha256=<hex HMAC-SHA256 of the body as sent>`')),
  },
  { additionalProperties: false, $id: 'WebhookConfig', title: 'webhook config' },
)
export type WebhookConfig = Static<typeof WebhookConfig>
