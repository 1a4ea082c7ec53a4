// Config of the `webhook` destination: NDJSON batches POSTed to any HTTP endpoint (docs/destinations.md).
import { Type, type Static } from '@sinclair/typebox'
import { ReceiverUrl, SecretToken } from './common.js'

// A header value may hold spaces (`Bearer <token>`, `Basic <credentials>`), though not at either end,
// and no control characters (RFC 9110 §5.5): a newline would start another header.
const HeaderValue = Type.String({
  minLength: 1,
  maxLength: 4096,
  pattern: '^[\\x21-\\x7E](?:[\\x20-\\x7E]*[\\x21-\\x7E])?$',
  'x-error-message': 'must be 1 to 4096 printable ASCII characters, without control characters or spaces at either end',
  description: 'A header value. Secret: write-only, reads back as "********"',
})

export const WebhookConfig = Type.Object(
  {
    url: ReceiverUrl('Where each batch is POSTed'),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), HeaderValue, {
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
