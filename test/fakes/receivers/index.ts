// Public surface of the fake SIEM receivers (see README.md in this folder).

export { FakeReceiver, type AnsweredFault, type ReceiverKind, type ReceiverOptions } from './fake-receiver.js'
export { FaultSwitches, type FaultKind, type RequestFault, type ServerErrorStatus } from './fault-switches.js'
export type { AcceptedEvent, ContractViolation, RecordedRequest, RequestOutcome } from './request-log.js'
export type { ListenOptions } from './receiver-listener.js'
export { defaultEventId, type EventIdReader } from './event-id.js'
export {
  assertDeliveredAtLeastOnce,
  assertDeliveredExactlyOnce,
  compareDelivery,
  tallyDeliveredEvents,
  type DeliveredEventsSource,
  type DeliveryComparison,
  type DeliveryTally,
} from './delivered-events.js'
export {
  FakeSplunkHec,
  startFakeSplunkHec,
  type FakeSplunkHecOptions,
  type HecEnvelope,
  type HecEnvelopeRecord,
  type HecHealth,
  type HecRoute,
} from './splunk-hec.js'
export type { AckPlan, IssuedAck } from './hec-acks.js'
export {
  FakeElasticsearch,
  startFakeElasticsearch,
  type EsBulkRecord,
  type EsDocumentRef,
  type EsItemError,
  type EsItemResult,
  type EsRoute,
  type FakeElasticsearchOptions,
} from './elasticsearch.js'
export { FakeSumoHttp, startFakeSumoHttp, SUMO_MAX_UNCOMPRESSED_BYTES, type FakeSumoHttpOptions, type SumoBatch, type SumoRoute } from './sumo-http.js'
export { BATCH_ID_HEADER, FakeWebhook, SIGNATURE_HEADER, startFakeWebhook, type FakeWebhookOptions, type WebhookBatch, type WebhookRoute } from './webhook.js'
