// The source envelope shared by every Cloud-to-Cloud source type (docs/sumo-collector-api.md §5).
// `config` is validated by the source type's own schema (schemas/sources/*), chosen by `schemaRef.type`.
import { Type, type Static } from '@sinclair/typebox'
import { ApiVersion } from './envelope.js'

export const SourceStateName = Type.Unsafe<
  'Pending' | 'Started' | 'Initialized' | 'Authenticated' | 'Collecting' | 'Error' | 'Stopping'
>({ type: 'string', enum: ['Pending', 'Started', 'Initialized', 'Authenticated', 'Collecting', 'Error', 'Stopping'] })
export type SourceStateName = Static<typeof SourceStateName>

export const SourceErrorType = Type.Unsafe<'ThirdPartyConfig' | 'ThirdPartyGeneric' | 'FirstPartyGeneric'>({
  type: 'string',
  enum: ['ThirdPartyConfig', 'ThirdPartyGeneric', 'FirstPartyGeneric'],
})
export type SourceErrorType = Static<typeof SourceErrorType>

export const SourceState = Type.Object(
  {
    state: SourceStateName,
    errorType: Type.Optional(SourceErrorType),
    errorCode: Type.Optional(Type.String()),
    errorInfo: Type.Optional(Type.String()),
  },
  { $id: 'SourceState' },
)
export type SourceState = Static<typeof SourceState>

export const SchemaRef = Type.Object(
  {
    type: Type.String({ description: 'The integration, e.g. "ChatGPT Compliance"' }),
    version: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: true },
)

export const SourceInput = Type.Object(
  {
    id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    sourceType: Type.String({ description: 'Always "Universal" for Cloud-to-Cloud sources' }),
    schemaRef: SchemaRef,
    config: Type.Object({}, { additionalProperties: true, description: 'Integration-specific configuration' }),
  },
  { additionalProperties: true, $id: 'SourceInput' },
)
export type SourceInput = Static<typeof SourceInput>

export const SourceEnvelopeInput = Type.Object(
  { 'api.version': Type.Optional(ApiVersion), source: Type.Ref(SourceInput) },
  { additionalProperties: true },
)

export const SourceCollection = Type.Object(
  {
    nextRunAt: Type.String({ format: 'date-time', description: 'When the next run is due' }),
    lastRunStartedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastRunFinishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    newestEventAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Timestamp of the newest stored event' }),
    quarantinedRecords: Type.Integer({ description: 'Malformed records kept aside; list them at .../quarantine' }),
    running: Type.Boolean({ description: 'A worker holds the source right now' }),
  },
  { $id: 'SourceCollection', description: 'Extension: what the runtime knows about the source' },
)

export const Source = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String({ description: 'Extension: mirrors `config.name`, so that import by name works' }),
    sourceType: Type.Literal('Universal'),
    schemaRef: Type.Object({ type: Type.String() }),
    config: Type.Object({}, { additionalProperties: true, description: 'As sent, with every secret shown as "********"' }),
    state: Type.Ref(SourceState),
    alive: Type.Boolean(),
    collection: Type.Optional(Type.Ref(SourceCollection)),
  },
  { $id: 'Source' },
)
export type Source = Static<typeof Source>

export const SourceEnvelope = Type.Object({ source: Type.Ref(Source) })
export const SourceList = Type.Object({ sources: Type.Array(Type.Ref(Source)) })

/** `?download=true`: re-importable JSON without `id`, `alive` or runtime state. */
export const DownloadedSource = Type.Object({
  sourceType: Type.Literal('Universal'),
  schemaRef: Type.Object({ type: Type.String() }),
  config: Type.Object({}, { additionalProperties: true }),
})
export const DownloadedSourceEnvelope = Type.Object({ 'api.version': Type.Literal('v1'), source: DownloadedSource })
export const DownloadedSourceList = Type.Object({ 'api.version': Type.Literal('v1'), sources: Type.Array(DownloadedSource) })

export const DownloadQuery = Type.Object({ download: Type.Optional(Type.Boolean()) })
