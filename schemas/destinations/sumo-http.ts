// Config of the `sumo_http` destination: a Sumo Logic HTTP Logs Source (docs/destinations.md). The
// source's URL holds its token, so the whole URL is the secret.
import { Type, type Static } from '@sinclair/typebox'
import { ReceiverUrl } from './common.js'

export const SumoHttpConfig = Type.Object(
  {
    url: ReceiverUrl('The HTTP source URL, e.g. https://endpoint4.collection.sumologic.com/receiver/v1/http/<code>. Secret: write-only, reads back as "********"'),
  },
  { additionalProperties: false, $id: 'SumoHttpConfig', title: 'sumo_http config' },
)
export type SumoHttpConfig = Static<typeof SumoHttpConfig>
