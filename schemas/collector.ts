// Hosted collectors (docs/sumo-collector-api.md §3, §4). Request objects tolerate the transient and
// installed-collector fields that clients echo back (`alive`, `links`, `ephemeral`, ...) and
// explicit nulls; responses carry exactly the fields the Sumo Terraform provider decodes.
import { Type, type Static } from '@sinclair/typebox'
import { ApiVersion } from './envelope.js'
import { Limit, Offset } from './paging.js'

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export const CollectorFields = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 1024 }), {
  description: 'Metadata fields attached to every event of the collector, e.g. `{"_budget": "Dev_20GB"}`',
})

export const CollectorInput = Type.Object(
  {
    id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    collectorType: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Only "Hosted" can be created' })),
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '\\S', 'x-error-message': 'must be 1 to 128 characters and not blank' }),
    description: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    category: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
    timeZone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone; "UTC" when absent' }))),
    fields: Type.Optional(Type.Union([CollectorFields, Type.Null()])),
  },
  { additionalProperties: true, $id: 'CollectorInput' },
)
export type CollectorInput = Static<typeof CollectorInput>

export const CollectorEnvelopeInput = Type.Object(
  { 'api.version': Type.Optional(ApiVersion), collector: Type.Ref(CollectorInput) },
  { additionalProperties: true },
)

export const Link = Type.Object({ rel: Type.String(), href: Type.String() })

export const Collector = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    category: Type.Optional(Type.String()),
    timeZone: Type.String(),
    fields: Type.Record(Type.String(), Type.String()),
    links: Type.Array(Link),
    collectorType: Type.Literal('Hosted'),
    collectorVersion: Type.String(),
    lastSeenAlive: Type.Integer({ description: 'Milliseconds since the epoch; hosted collectors are always alive' }),
    alive: Type.Boolean(),
  },
  { $id: 'Collector' },
)
export type Collector = Static<typeof Collector>

export const CollectorEnvelope = Type.Object({ collector: Type.Ref(Collector) })
export const CollectorList = Type.Object({ collectors: Type.Array(Type.Ref(Collector)) })

export const CollectorListQuery = Type.Object({
  filter: Type.Optional(
    Type.Unsafe<'installed' | 'hosted' | 'dead' | 'alive'>({ type: 'string', enum: ['installed', 'hosted', 'dead', 'alive'] }),
  ),
  limit: Type.Optional(Limit(1000, 1000)),
  offset: Type.Optional(Offset()),
})
