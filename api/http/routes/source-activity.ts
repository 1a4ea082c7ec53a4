// Extensions of the Collector Management API for what the runtime did (documented in the OpenAPI):
// the stored events, the recent runs and the quarantined records of a source, and the restart action.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ErrorBody } from '../../../schemas/error-body.js'
import { EventPage, EventPageQuery, QuarantineList, RunList } from '../../../schemas/events.js'
import { Limit, Offset } from '../../../schemas/paging.js'
import { SourceEnvelope } from '../../../schemas/source.js'
import { Errors } from '../api-error.js'
import { findSource, sourceView } from './sources.js'

const SourceParams = Type.Object({ collectorId: Type.String(), sourceId: Type.String() })
const Failure = Type.Ref(ErrorBody)
const failures = { 400: Failure, 401: Failure, 404: Failure, 429: Failure }

export const sourceActivityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx

  app.get(
    '/collectors/:collectorId/sources/:sourceId/events',
    {
      schema: {
        tags: ['sources'],
        summary: 'Read stored events',
        description:
          'Extension. Events in a stable order (the order they were stored). `id` is the upstream `event_id`; `event` is the ' +
          'upstream record unchanged. Pass `next` back as `after` for the following page; `next` is null at the end.',
        params: SourceParams,
        querystring: EventPageQuery,
        response: { 200: EventPage, ...failures },
      },
    },
    async (request, reply) => {
      const source = await findSource(ctx, request.params)
      const { limit = 100, after } = request.query
      if (after !== undefined && !/^\d{1,15}$/.test(after)) {
        throw Errors.invalidField('collectors.validation.query.invalid', 'query.after', 'must be a `next` value from an earlier page')
      }
      const page = await ctx.events.page(source.id, after === undefined ? 0 : Number(after), limit)
      // The upstream record is embedded as stored, without a parse and re-encode.
      const events = page.events.map(
        (e) =>
          `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"timestamp":${JSON.stringify(e.timestamp)},` +
          `"receivedAt":${JSON.stringify(e.receivedAt)},"metadata":${JSON.stringify(e.metadata)},"event":${e.raw}}`,
      )
      const next = page.next === null ? 'null' : JSON.stringify(String(page.next))
      return reply
        .type('application/json; charset=utf-8')
        .serializer((payload) => payload as string)
        .send(`{"events":[${events.join(',')}],"next":${next}}` as never)
    },
  )

  app.get(
    '/collectors/:collectorId/sources/:sourceId/runs',
    {
      schema: {
        tags: ['sources'],
        summary: 'List recent runs',
        description: 'Extension. Newest first: start, end, origins finished (log files), events stored, duplicates skipped, quarantined records and errors.',
        params: SourceParams,
        querystring: Type.Object({ limit: Type.Optional(Limit(500, 50)) }),
        response: { 200: RunList, ...failures },
      },
    },
    async (request) => {
      const source = await findSource(ctx, request.params)
      return { runs: await ctx.events.runs(source.id, request.query.limit ?? 50) }
    },
  )

  app.get(
    '/collectors/:collectorId/sources/:sourceId/quarantine',
    {
      schema: {
        tags: ['sources'],
        summary: 'List quarantined records',
        description: 'Extension. Malformed upstream records kept aside with their stream, origin (a log file), position in it (a line) and raw text (first MiB).',
        params: SourceParams,
        querystring: Type.Object({
          limit: Type.Optional(Limit(1000, 100)),
          offset: Type.Optional(Offset()),
        }),
        response: { 200: QuarantineList, ...failures },
      },
    },
    async (request) => {
      const source = await findSource(ctx, request.params)
      return { records: await ctx.events.quarantined(source.id, request.query.limit ?? 100, request.query.offset ?? 0) }
    },
  )

  app.post(
    '/collectors/:collectorId/sources/:sourceId/action/restart',
    {
      schema: {
        tags: ['sources'],
        summary: 'Restart a source',
        description: 'Runs the source as soon as a worker is free and clears a ThirdPartyConfig error (which is otherwise not retried).',
        params: SourceParams,
        response: { 200: SourceEnvelope, ...failures },
      },
    },
    async (request) => {
      const source = await findSource(ctx, request.params)
      await ctx.leases.requestRun(source.id)
      await ctx.sources.clearError(source.id)
      ctx.sourceReads.invalidate(source.id)
      ctx.wakeScheduler()
      const current = await ctx.sources.getById(source.id)
      if (!current) throw Errors.sourceNotFound(request.params.sourceId)
      return { source: sourceView(current) }
    },
  )
}
