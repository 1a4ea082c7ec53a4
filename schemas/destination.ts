// The destination envelope: an openc2c extension beside Sumo's collectors and sources, on the same
// routes' conventions (envelopes, ETag / If-Match, error body, secrets as "********"). `config` is
// validated by the kind's own schema (schemas/destinations/*), chosen by `type`.
import { Type, type Static } from '@sinclair/typebox'
import { ApiVersion } from './envelope.js'

export const DESTINATION_KINDS = ['splunk_hec', 'elasticsearch', 'sumo_http', 'webhook', 'file'] as const
export type DestinationKindName = (typeof DESTINATION_KINDS)[number]

const Ids = (what: string) =>
  Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000, uniqueItems: true, description: `Only events of these ${what}; empty or absent means all` })

export const DestinationFilter = Type.Object(
  {
    collectorIds: Type.Optional(Ids('collectors')),
    sourceIds: Type.Optional(Ids('sources')),
    sourceCategory: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'Only events whose `_sourceCategory` matches; `*` matches any run of characters (e.g. "chatgpt/*")',
      }),
    ),
    eventTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$', 'x-error-message': 'must be an event type name such as AUDIT_LOG or AUDIT' }), {
        maxItems: 100,
        uniqueItems: true,
        description: 'Only events of these types: stored names (CONVERSATION_MESSAGE) or a source type\'s short names (CONVERSATION)',
      }),
    ),
  },
  { additionalProperties: false, $id: 'DestinationFilter', description: 'Every key is optional; an empty filter matches every event' },
)
export type DestinationFilter = Static<typeof DestinationFilter>

export const StartFrom = Type.Unsafe<'earliest' | 'now'>({
  type: 'string',
  enum: ['earliest', 'now'],
  description: '"earliest": every event still stored (the default); "now": only events stored after the destination was created',
})

export const DestinationInput = Type.Object(
  {
    id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '\\S', 'x-error-message': 'must be 1 to 128 characters and not blank' }),
    type: Type.Unsafe<DestinationKindName>({ type: 'string', enum: [...DESTINATION_KINDS] }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    config: Type.Object({}, { additionalProperties: true, description: 'Kind-specific configuration, chosen by `type`' }),
    filter: Type.Optional(Type.Ref(DestinationFilter)),
    startFrom: Type.Optional(StartFrom),
  },
  { additionalProperties: false, $id: 'DestinationInput' },
)
export type DestinationInput = Static<typeof DestinationInput>

export const DestinationEnvelopeInput = Type.Object(
  { 'api.version': Type.Optional(ApiVersion), destination: Type.Ref(DestinationInput) },
  { additionalProperties: false },
)

export const DestinationStateName = Type.Unsafe<'Pending' | 'Delivering' | 'Error' | 'Disabled'>({
  type: 'string',
  enum: ['Pending', 'Delivering', 'Error', 'Disabled'],
})

export const DestinationErrorType = Type.Unsafe<'DestinationConfig' | 'DestinationGeneric' | 'FirstPartyGeneric'>({
  type: 'string',
  enum: ['DestinationConfig', 'DestinationGeneric', 'FirstPartyGeneric'],
  description:
    'DestinationConfig: the receiver refused our credentials or address (401, 403, 404); delivery pauses until the ' +
    'destination is updated or restarted. DestinationGeneric: the receiver failed otherwise; retried for ever. ' +
    'FirstPartyGeneric: our fault; retried.',
})

export const DestinationState = Type.Object(
  {
    state: DestinationStateName,
    errorType: Type.Optional(DestinationErrorType),
    errorCode: Type.Optional(Type.String()),
    errorInfo: Type.Optional(Type.String()),
  },
  { $id: 'DestinationState' },
)
export type DestinationState = Static<typeof DestinationState>

export const DeliveryInfo = Type.Object(
  {
    lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'The last batch the receiver acknowledged' }),
    eventsDelivered: Type.Integer({ description: 'Events the receiver acknowledged since the destination was created (replays included)' }),
    lagEvents: Type.Integer({ description: 'Matching events stored and not yet delivered (nor dead-lettered)' }),
    lagSeconds: Type.Number({ description: 'How long the oldest of them has waited; 0 when none waits' }),
    consecutiveFailures: Type.Integer(),
    deadLetters: Type.Integer({ description: 'Events the receiver refused for good; list them at .../deadLetters' }),
    delivering: Type.Boolean({ description: 'A worker holds the destination right now' }),
  },
  { $id: 'DeliveryInfo' },
)
export type DeliveryInfo = Static<typeof DeliveryInfo>

export const Destination = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    type: Type.String(),
    enabled: Type.Boolean(),
    config: Type.Object({}, { additionalProperties: true, description: 'As sent, with every secret shown as "********"' }),
    filter: Type.Ref(DestinationFilter),
    startFrom: StartFrom,
    state: Type.Ref(DestinationState),
    delivery: Type.Ref(DeliveryInfo),
  },
  { $id: 'Destination' },
)
export type Destination = Static<typeof Destination>

export const DestinationEnvelope = Type.Object({ destination: Type.Ref(Destination) })
export const DestinationList = Type.Object({ destinations: Type.Array(Type.Ref(Destination)) })

export const DeadLetter = Type.Object({
  eventId: Type.String(),
  sourceId: Type.Integer(),
  reason: Type.String({ description: "The receiver's reason, as it gave it" }),
  at: Type.String({ format: 'date-time' }),
})
export const DeadLetterPage = Type.Object({
  deadLetters: Type.Array(DeadLetter),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Pass back as `after` for the next page; null at the end' }),
})

export const ReplayInput = Type.Object(
  {
    deadLetters: Type.Optional(Type.Boolean({ description: 'Send every dead letter again; those delivered leave the list' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'With `to`: send again the matching events stored in [from, to)' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, $id: 'ReplayInput', description: 'Either {"deadLetters": true} or {"from", "to"}' },
)
export type ReplayInput = Static<typeof ReplayInput>
