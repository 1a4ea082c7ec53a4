// Destinations (an openc2c extension): list, get, create, replace, delete, restart, dead letters and
// replay, with the same envelopes, ETag / If-Match, error body and secret masking as collectors and
// sources (docs/destinations.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import {
  DeadLetterPage,
  type Destination,
  DestinationEnvelope,
  DestinationEnvelopeInput,
  type DestinationInput,
  DestinationList,
  ReplayInput,
} from '../../../schemas/destination.js'
import { ErrorBody } from '../../../schemas/error-body.js'
import { Limit } from '../../../schemas/paging.js'
import { findDestinationKind } from '../../destinations/registry.js'
import { eventSelection } from '../../destinations/selection.js'
import { prepareConfig } from '../../shared/configurable.js'
import { type DestinationRecord, type DestinationValues, DuplicateDestinationNameError } from '../../store/destinations-repository.js'
import { Errors } from '../api-error.js'
import type { AppContext } from '../context.js'
import { checkIfMatch, etagOf } from '../etag.js'
import { parseId } from '../ids.js'
import { sendCreated } from '../replies.js'

const IdParams = Type.Object({ id: Type.String({ description: 'Destination id' }) })
const Failure = Type.Ref(ErrorBody)
const failures = { 400: Failure, 401: Failure, 403: Failure, 404: Failure, 412: Failure, 415: Failure, 429: Failure }

export async function destinationView(ctx: AppContext, record: DestinationRecord): Promise<Destination> {
  const lag = await ctx.delivery.lag(record.id, record.startSeq, eventSelection(record.filter, ctx.sourceTypes))
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    enabled: record.enabled,
    config: record.config,
    filter: record.filter,
    startFrom: record.startFrom,
    state: record.state,
    delivery: {
      lastSuccessAt: record.lastSuccessAt,
      eventsDelivered: record.eventsDelivered,
      lagEvents: lag.events,
      lagSeconds: lag.oldestReceivedAt ? Math.max(0, (Date.now() - lag.oldestReceivedAt.getTime()) / 1000) : 0,
      consecutiveFailures: record.consecutiveFailures,
      deadLetters: await ctx.deadLetters.count(record.id),
      delivering: record.delivering,
    },
  }
}

async function withEtag(ctx: AppContext, reply: FastifyReply, record: DestinationRecord) {
  void reply.header('etag', etagOf('destination', record.id, record.version))
  return { destination: await destinationView(ctx, record) }
}

async function requireDestination(ctx: AppContext, raw: string): Promise<DestinationRecord> {
  const id = parseId(raw)
  const record = id === undefined ? undefined : await ctx.destinations.get(id)
  if (!record) throw Errors.destinationNotFound(raw)
  return record
}

/** Validates the kind's config (secrets masked and sealed; the mask keeps a stored secret) and the filter. */
function destinationValues(ctx: AppContext, input: DestinationInput, stored?: { secrets: string | null; startFrom: 'earliest' | 'now' }): DestinationValues {
  const kind = findDestinationKind(input.type)
  if (!kind) throw Errors.invalidField('destinations.validation.type.invalid', '$.destination.type', 'is not a destination kind')
  const storedSecrets = stored?.secrets ? ctx.secretBox.openJson(stored.secrets) : undefined
  const prepared = prepareConfig(kind, input.config, ctx.secretBox, '$.destination.config', storedSecrets)
  if (!prepared.ok) throw Errors.validation('destinations.validation.config.invalid', prepared.issues)
  if (stored && input.startFrom !== undefined && input.startFrom !== stored.startFrom) {
    throw Errors.invalidField('destinations.validation.startFrom.immutable', '$.destination.startFrom', `applies when a destination is created and cannot change (it is ${JSON.stringify(stored.startFrom)})`)
  }
  return {
    name: input.name,
    type: input.type,
    enabled: input.enabled ?? true,
    config: prepared.publicConfig,
    secrets: prepared.sealedSecrets,
    filter: input.filter ?? {},
    startFrom: stored?.startFrom ?? input.startFrom ?? 'earliest',
  }
}

export const destinationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx

  app.get(
    '/destinations',
    { schema: { tags: ['destinations'], summary: 'List destinations', description: 'Extension.', response: { 200: DestinationList, ...failures } } },
    async () => {
      const records = await ctx.destinations.list()
      return { destinations: await Promise.all(records.map((r) => destinationView(ctx, r))) }
    },
  )

  app.get(
    '/destinations/:id',
    { schema: { tags: ['destinations'], summary: 'Get a destination', description: 'Extension. Answers the ETag an update must send back.', params: IdParams, response: { 200: DestinationEnvelope, ...failures } } },
    async (request, reply) => withEtag(ctx, reply, await requireDestination(ctx, request.params.id)),
  )

  app.post(
    '/destinations',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Create a destination',
        description: 'Extension. `config` is validated by `type`; secrets read back as "********".',
        body: DestinationEnvelopeInput,
        response: { 201: DestinationEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const input = request.body.destination
      if (input.id != null) throw Errors.invalidField('destinations.validation.id.invalid', '$.destination.id', 'must be absent: the service assigns ids')
      const values = destinationValues(ctx, input)
      let record: DestinationRecord
      try {
        record = await ctx.destinations.create(values)
      } catch (err) {
        if (err instanceof DuplicateDestinationNameError) throw Errors.duplicateDestinationName(values.name)
        throw err
      }
      ctx.wakeDeliveries()
      return sendCreated(reply, { kind: 'destination', id: record.id, version: record.version, location: `/v1/destinations/${record.id}` }, { destination: await destinationView(ctx, record) })
    },
  )

  app.put(
    '/destinations/:id',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Replace a destination',
        description: 'Extension. Full replacement; `type` and `startFrom` cannot change. Requires `If-Match`. Clears an error and delivers at once.',
        params: IdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: DestinationEnvelopeInput,
        response: { 200: DestinationEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const current = await requireDestination(ctx, request.params.id)
      const input = request.body.destination
      if (input.id != null && input.id !== current.id) {
        throw Errors.invalidField('destinations.validation.id.mismatch', '$.destination.id', `must be ${current.id}, the id in the URL`)
      }
      if (input.type !== current.type) {
        throw Errors.invalidField('destinations.validation.type.immutable', '$.destination.type', `cannot change (it is ${JSON.stringify(current.type)}); create a new destination`)
      }
      checkIfMatch(request.headers['if-match'], etagOf('destination', current.id, current.version))
      const values = destinationValues(ctx, input, current)
      let result
      try {
        result = await ctx.destinations.replace(current.id, current.version, values)
      } catch (err) {
        if (err instanceof DuplicateDestinationNameError) throw Errors.duplicateDestinationName(values.name)
        throw err
      }
      if (result.kind === 'missing') throw Errors.destinationNotFound(request.params.id)
      if (result.kind === 'stale') throw Errors.preconditionFailed()
      ctx.wakeDeliveries()
      return withEtag(ctx, reply, result.record)
    },
  )

  app.delete(
    '/destinations/:id',
    { schema: { tags: ['destinations'], summary: 'Delete a destination', description: 'Extension. Delivery stops; its cursors and dead letters go with it.', params: IdParams, response: { 200: Type.Unsafe<undefined>({ description: 'Empty body' }), ...failures } } },
    async (request, reply) => {
      const id = parseId(request.params.id)
      if (id === undefined || !(await ctx.destinations.delete(id))) throw Errors.destinationNotFound(request.params.id)
      return reply.code(200).send()
    },
  )

  app.post(
    '/destinations/:id/action/restart',
    { schema: { tags: ['destinations'], summary: 'Restart a destination', description: 'Extension. Clears an error (a paused DestinationConfig error too) and delivers at once.', params: IdParams, response: { 200: DestinationEnvelope, ...failures } } },
    async (request, reply) => {
      const current = await requireDestination(ctx, request.params.id)
      await ctx.destinations.restart(current.id)
      ctx.wakeDeliveries()
      return withEtag(ctx, reply, (await ctx.destinations.get(current.id)) ?? current)
    },
  )

  app.get(
    '/destinations/:id/deadLetters',
    {
      schema: {
        tags: ['destinations'],
        summary: 'List dead letters',
        description: 'Extension. What the receiver refused for good, with its reason, oldest first. Pass `next` back as `after`.',
        params: IdParams,
        querystring: Type.Object({ limit: Type.Optional(Limit(1000, 100)), after: Type.Optional(Type.String()) }),
        response: { 200: DeadLetterPage, ...failures },
      },
    },
    async (request) => {
      const destination = await requireDestination(ctx, request.params.id)
      const { limit = 100, after } = request.query
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw Errors.invalidField('destinations.validation.query.invalid', 'query.after', 'must be a `next` value from an earlier page')
      }
      const page = await ctx.deadLetters.list(destination.id, after === undefined ? 0 : Number(after), limit)
      return { deadLetters: page.rows.map(({ id: _id, ...letter }) => letter), next: page.next === null ? null : String(page.next) }
    },
  )

  app.post(
    '/destinations/:id/action/replay',
    {
      schema: {
        tags: ['destinations'],
        summary: 'Replay',
        description: 'Extension. Sends the dead letters again (`{"deadLetters": true}`), or the matching events stored in a time range (`{"from", "to"}`). Delivered dead letters leave the list.',
        params: IdParams,
        body: ReplayInput,
        response: { 202: Type.Object({ replay: Type.Object({ id: Type.Integer(), kind: Type.String() }) }), ...failures },
      },
    },
    async (request, reply) => {
      const destination = await requireDestination(ctx, request.params.id)
      const input = request.body
      let replay: { kind: 'deadLetters' } | { kind: 'range'; from: Date; to: Date }
      if (input.deadLetters === true && input.from === undefined && input.to === undefined) replay = { kind: 'deadLetters' }
      else if (input.deadLetters === undefined && input.from !== undefined && input.to !== undefined) {
        const from = new Date(input.from)
        const to = new Date(input.to)
        if (!(to > from)) throw Errors.invalidField('destinations.validation.replay.invalid', '$.to', 'must be later than from')
        replay = { kind: 'range', from, to }
      } else {
        throw Errors.invalidField('destinations.validation.replay.invalid', '$', 'must be {"deadLetters": true} or {"from": <date-time>, "to": <date-time>}')
      }
      const id = await ctx.deadLetters.requestReplay(destination.id, replay)
      ctx.wakeDeliveries()
      return reply.code(202).send({ replay: { id, kind: replay.kind } })
    },
  )
}
