// Config of the `elasticsearch` destination: the `_bulk` API (docs/destinations.md). Either an API key
// or a user name and password; the kind checks that exactly one is given.
import { Type, type Static } from '@sinclair/typebox'
import { ReceiverUrl, SecretToken } from './common.js'

export const ElasticsearchConfig = Type.Object(
  {
    url: ReceiverUrl('The cluster URL, e.g. https://es.example:9200; batches go to <url>/_bulk'),
    index: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[a-z0-9][a-z0-9._+-]*$',
      'x-error-message': 'must be a lowercase index or data stream name (letters, digits, ".", "_", "+", "-")',
      description: 'The index or data stream every event is created in',
    }),
    apiKey: Type.Optional(SecretToken('An API key (the base64 `encoded` form), sent as `Authorization: ApiKey <key>`')),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^:\\x00-\\x1F]+$', 'x-error-message': 'must not hold ":" or control characters' })),
    password: Type.Optional(SecretToken('The password of `username`, for basic authentication')),
  },
  { additionalProperties: false, $id: 'ElasticsearchConfig', title: 'elasticsearch config' },
)
export type ElasticsearchConfig = Static<typeof ElasticsearchConfig>
