// Public surface of the fake Compliance Logs Platform (see README.md in this folder).

export {
  startFakeCompliance,
  type AddGeneratedFilesOptions,
  type AddLogFileOptions,
  type FakeCompliance,
  type FakeComplianceOptions,
  type FileQueryOptions,
  type GeneratedContent,
  type LogFileContent,
  type LogFileInfo,
  type MalformedLineKind,
} from './fake-compliance.js'
export {
  COMPLIANCE_EVENT_TYPES,
  isComplianceEventType,
  readScopeName,
  type ComplianceActor,
  type ComplianceEvent,
  type ComplianceEventType,
  type RequestMetadata,
} from './event-types.js'
export { DEFAULT_WORKSPACE_ID, generateEvent, generatedEventId, workspaceUsers, type GenerateEventOptions } from './event-generator.js'
export { generatedFileEventIds } from './log-file-body.js'
export {
  BODY_FAULT_ROUTES,
  FAULT_ROUTES,
  type BodyFault,
  type BodyFaultRoute,
  type ErrorStyle,
  type FaultRoute,
  type FaultSwitches,
  type ResponseFault,
  type ServerErrorStatus,
} from './fault-switches.js'
export { recordFacts, splitJsonRecords } from './json-records.js'
export type { LogFileObject } from './log-file-catalog.js'
export type { LogFileFormat } from './log-file-body.js'
export type { RecordedRequest, RecordedRoute } from './request-log.js'
export { createRng, deriveSeed, type Rng } from './seeded-random.js'
export { formatMicrosOffset, formatMicrosZ, parseIsoTimestamp, toMicros, type EpochMicros } from './timestamps.js'
