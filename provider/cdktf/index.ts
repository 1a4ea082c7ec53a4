// CDKTF constructs for the openc2c provider. Hand-written rather than generated with `cdktf get`: they
// only list attributes, so replacing `cdktf` with the community fork cdktn means changing imports.
export { Openc2cProvider, type Openc2cProviderConfig } from './provider.js'
export { Collector, type CollectorConfig } from './collector.js'
export { ChatgptComplianceSource, type ChatgptComplianceSourceConfig } from './chatgpt-compliance-source.js'
export { CloudToCloudSource, type CloudToCloudSourceConfig } from './cloud-to-cloud-source.js'
export { DataOpenc2cCollector, type DataOpenc2cCollectorConfig } from './data-collector.js'
export {
  Destination,
  type DestinationConfig,
  type DestinationFilter,
  type DestinationType,
  type ElasticsearchSettings,
  type FileSettings,
  type SplunkHecSettings,
  type SumoHttpSettings,
  type WebhookSettings,
} from './destination.js'
