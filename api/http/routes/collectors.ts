// Hosted collectors: /collectors, /collectors/{id}, /collectors/name/{name} (docs/sumo-collector-api.md §4).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import {
  type Collector,
  CollectorEnvelope,
  CollectorEnvelopeInput,
  type CollectorInput,
  CollectorList,
  CollectorListQuery,
} from '../../../schemas/collector.js'
import { ErrorBody } from '../../../schemas/error-body.js'
import { Limit, MAX_OFFSET, Offset } from '../../../schemas/paging.js'
import { type CollectorRecord, type CollectorValues, DuplicateCollectorNameError } from '../../store/collectors-repository.js'
import { Errors } from '../api-error.js'
import { checkIfMatch, etagOf } from '../etag.js'
import { sendCreated } from '../replies.js'
import { parseId } from '../ids.js'

const IdParams = Type.Object({ id: Type.String({ description: 'Collector id' }) })
const NameParams = Type.Object({ name: Type.String({ description: 'Collector name, URL-encoded' }) })
const Failure = Type.Ref(ErrorBody)
const failures = { 400: Failure, 401: Failure, 403: Failure, 404: Failure, 412: Failure, 415: Failure, 429: Failure }

export function collectorView(record: CollectorRecord, now = Date.now()): Collector {
  const view: Collector = {
    id: record.id,
    name: record.name,
    timeZone: record.timeZone,
    fields: record.fields,
    links: [{ rel: 'sources', href: `/v1/collectors/${record.id}/sources` }],
    collectorType: 'Hosted',
    collectorVersion: '',
    lastSeenAlive: now,
    alive: true,
  }
  if (record.description !== null) view.description = record.description
  if (record.category !== null) view.category = record.category
  return view
}

/** A single-collector answer: the envelope, with the ETag an update must send back. */
function withEtag(reply: FastifyReply, record: CollectorRecord) {
  void reply.header('etag', etagOf('collector', record.id, record.version))
  return { collector: collectorView(record) }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** PUT is full replacement: absent or null optional fields go back to their defaults. */
function collectorValues(input: CollectorInput): CollectorValues {
  if (input.collectorType != null && input.collectorType !== 'Hosted') {
    throw Errors.invalidField('collectors.validation.collectorType.invalid', '$.collector.collectorType', 'must be "Hosted": only hosted collectors are managed here')
  }
  const timeZone = input.timeZone ?? 'UTC'
  if (!isTimeZone(timeZone)) {
    throw Errors.invalidField('collectors.validation.timeZone.invalid', '$.collector.timeZone', 'must be an IANA time zone name such as "UTC" or "Europe/Berlin"')
  }
  return {
    name: input.name,
    description: input.description ?? null,
    category: input.category ?? null,
    timeZone,
    fields: input.fields ?? {},
  }
}

export const collectorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { collectors } = app.ctx

  app.get(
    '/collectors',
    {
      schema: {
        tags: ['collectors'],
        summary: 'List collectors',
        description: 'Only hosted collectors exist here, and they are always alive: `installed` and `dead` list nothing.',
        querystring: CollectorListQuery,
        response: { 200: CollectorList, ...failures },
      },
    },
    async (request) => {
      const { filter, limit = 1000, offset = 0 } = request.query
      if (filter === 'installed' || filter === 'dead') return { collectors: [] }
      const now = Date.now()
      return { collectors: (await collectors.list({ limit, offset })).map((c) => collectorView(c, now)) }
    },
  )

  app.get(
    '/collectors/offline',
    {
      schema: {
        tags: ['collectors'],
        summary: 'List offline installed collectors',
        description: 'Always empty: hosted collectors are never offline.',
        querystring: Type.Object({
          // Unused (nothing is ever offline), but bounded like every numeric parameter.
          aliveBeforeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_OFFSET })),
          limit: Type.Optional(Limit(1000, 1000)),
          offset: Type.Optional(Offset()),
        }),
        response: { 200: CollectorList, ...failures },
      },
    },
    async () => ({ collectors: [] }),
  )

  app.get(
    '/collectors/:id',
    { schema: { tags: ['collectors'], summary: 'Get a collector', params: IdParams, response: { 200: CollectorEnvelope, ...failures } } },
    async (request, reply) => {
      const id = parseId(request.params.id)
      const record = id === undefined ? undefined : await collectors.get(id)
      if (!record) throw Errors.collectorNotFound(request.params.id)
      return withEtag(reply, record)
    },
  )

  app.get(
    '/collectors/name/:name',
    {
      schema: {
        tags: ['collectors'],
        summary: 'Get a collector by name',
        description: 'The name is URL-decoded; a trailing slash is accepted.',
        params: NameParams,
        response: { 200: CollectorEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      // No stored name holds U+0000 (Postgres text cannot), and the database would reject the query.
      const record = request.params.name.includes('\0') ? undefined : await collectors.getByName(request.params.name)
      if (!record) throw Errors.collectorNameNotFound(request.params.name)
      return withEtag(reply, record)
    },
  )

  app.post(
    '/collectors',
    {
      schema: {
        tags: ['collectors'],
        summary: 'Create a hosted collector',
        body: CollectorEnvelopeInput,
        response: { 201: CollectorEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const values = collectorValues(request.body.collector)
      let record: CollectorRecord
      try {
        record = await collectors.create(values)
      } catch (err) {
        if (err instanceof DuplicateCollectorNameError) throw Errors.duplicateName('collector', values.name, '$.collector.name')
        throw err
      }
      return sendCreated(reply, { kind: 'collector', id: record.id, version: record.version, location: `/v1/collectors/${record.id}` }, { collector: collectorView(record) })
    },
  )

  app.put(
    '/collectors/:id',
    {
      schema: {
        tags: ['collectors'],
        summary: 'Replace a collector',
        description: 'Full replacement: absent optional fields are cleared. Requires `If-Match` with the ETag of a GET.',
        params: IdParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: CollectorEnvelopeInput,
        response: { 200: CollectorEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const id = parseId(request.params.id)
      const current = id === undefined ? undefined : await collectors.get(id)
      if (!current) throw Errors.collectorNotFound(request.params.id)
      const input = request.body.collector
      if (input.id != null && input.id !== current.id) {
        throw Errors.invalidField('collectors.validation.id.mismatch', '$.collector.id', `must be ${current.id}, the id in the URL`)
      }
      checkIfMatch(request.headers['if-match'], etagOf('collector', current.id, current.version))
      const values = collectorValues(input)
      let result
      try {
        result = await collectors.replace(current.id, current.version, values)
      } catch (err) {
        if (err instanceof DuplicateCollectorNameError) throw Errors.duplicateName('collector', values.name, '$.collector.name')
        throw err
      }
      if (result.kind === 'missing') throw Errors.collectorNotFound(request.params.id)
      if (result.kind === 'stale') throw Errors.preconditionFailed()
      return withEtag(reply, result.record)
    },
  )

  app.delete(
    '/collectors/:id',
    {
      schema: {
        tags: ['collectors'],
        summary: 'Delete a collector and its sources',
        params: IdParams,
        response: { 200: Type.Unsafe<undefined>({ description: 'Empty body' }), ...failures },
      },
    },
    async (request, reply) => {
      const id = parseId(request.params.id)
      const deleted = id !== undefined && (await collectors.delete(id))
      // Its sources went with it (cascade); forget them now rather than when the notifications land.
      if (deleted) app.ctx.sourceReads.clear()
      if (!deleted) throw Errors.collectorNotFound(request.params.id)
      return reply.code(200).send()
    },
  )
}
