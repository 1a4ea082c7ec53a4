// Config of the `splunk_hec` destination: Splunk's HTTP Event Collector (docs/destinations.md).
import { Type, type Static } from '@sinclair/typebox'
import { ReceiverUrl, SecretToken } from './common.js'

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^\\x00-\\x1F]+$', 'x-error-message': 'must be 1 to 1024 characters without control characters', description })

export const SplunkHecConfig = Type.Object(
  {
    url: ReceiverUrl('The HEC base URL, e.g. https://splunk.example:8088; events go to <url>/services/collector/event'),
    token: SecretToken('The HEC token, sent as `Authorization: Splunk <token>`'),
    indexerAck: Type.Optional(Type.Boolean({ default: false, description: 'Count a batch as delivered only once Splunk acknowledges it was indexed' })),
    index: Type.Optional(Name('The index; the token\'s default index when absent')),
    sourcetype: Type.Optional(Name('The sourcetype; by default `openc2c:<event type>`')),
    source: Type.Optional(Name('The source; by default the event\'s `_source`')),
  },
  { additionalProperties: false, $id: 'SplunkHecConfig', title: 'splunk_hec config' },
)
export type SplunkHecConfig = Static<typeof SplunkHecConfig>
