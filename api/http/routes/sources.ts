// Cloud-to-Cloud sources of a collector (docs/sumo-collector-api.md §5): list, get, create, replace,
// delete, and `?download=true` for re-importable JSON.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { ErrorBody } from '../../../schemas/error-body.js'
import {
  DownloadedSourceEnvelope,
  DownloadedSourceList,
  DownloadQuery,
  type Source,
  SourceEnvelope,
  SourceEnvelopeInput,
  type SourceInput,
  SourceList,
} from '../../../schemas/source.js'
import { prepareConfig } from '../../shared/configurable.js'
import type { SourceTypes } from '../../sources/registry.js'
import type { SourceTypeDefinition } from '../../sources/source-type.js'
import { DuplicateSourceNameError, MissingCollectorError, type SourceRecord } from '../../store/sources-repository.js'
import type { AppContext } from '../context.js'
import { Errors } from '../api-error.js'
import { checkIfMatch, etagOf } from '../etag.js'
import { sendCreated } from '../replies.js'
import { parseId } from '../ids.js'

const CollectorParams = Type.Object({ collectorId: Type.String({ description: 'Collector id' }) })
const SourceParams = Type.Object({ collectorId: Type.String({ description: 'Collector id' }), sourceId: Type.String({ description: 'Source id' }) })
const Failure = Type.Ref(ErrorBody)
const failures = { 400: Failure, 401: Failure, 403: Failure, 404: Failure, 412: Failure, 415: Failure, 429: Failure }

export function sourceView(record: SourceRecord): Source {
  const view: Source = {
    id: record.id,
    name: record.name,
    sourceType: 'Universal',
    schemaRef: { type: record.schemaType },
    config: record.config,
    state: record.state,
    alive: record.state.state !== 'Error' && record.state.state !== 'Stopping',
  }
  if (record.collection) {
    const { leaseExpiresAt: _internal, ...collection } = record.collection
    view.collection = collection
  }
  return view
}

/**
 * The route's serializer is compiled for the usual shape only (a union would make every response
 * pick its branch by validating against both); the rarer download shape is encoded directly.
 */
function sendDownload(reply: FastifyReply, body: unknown) {
  return reply.type('application/json; charset=utf-8').serializer(JSON.stringify).send(body as never)
}

/**
 * GET of one source is the hottest route (Terraform reads every source on every plan), and the read
 * cache hands out the same record object until the source changes: its ETag and body (encoded by the
 * route's own response serializer) are made once per record object instead of once per request.
 */
const renderedReads = new WeakMap<SourceRecord, { etag: string; body: string }>()

function sendSource(reply: FastifyReply, record: SourceRecord): void {
  let rendered = renderedReads.get(record)
  if (!rendered) {
    rendered = { etag: etagOf('source', record.id, record.version), body: reply.serializeInput({ source: sourceView(record) }, '200') as string }
    renderedReads.set(record, rendered)
  }
  void reply.header('etag', rendered.etag).type('application/json; charset=utf-8').send(rendered.body)
}

function downloadView(record: SourceRecord) {
  return { sourceType: 'Universal' as const, schemaRef: { type: record.schemaType }, config: record.config }
}

async function requireCollector(ctx: AppContext, rawId: string): Promise<number> {
  const id = parseId(rawId)
  if (id === undefined || !(await ctx.collectors.get(id))) throw Errors.collectorNotFound(rawId)
  return id
}

function sourceTypeOf(types: SourceTypes, input: SourceInput): SourceTypeDefinition {
  if (input.sourceType !== 'Universal') {
    throw Errors.invalidField(
      'collectors.validation.sourceType.invalid',
      '$.source.sourceType',
      `must be one of: "Universal" (got ${JSON.stringify(input.sourceType)}); only Cloud-to-Cloud sources are supported`,
    )
  }
  const type = types.find(input.schemaRef.type)
  if (!type) {
    throw Errors.invalidField(
      'collectors.validation.schemaRef.invalid',
      '$.source.schemaRef.type',
      `must be one of: ${types.names().map((n) => JSON.stringify(n)).join(', ')} (got ${JSON.stringify(input.schemaRef.type)})`,
    )
  }
  return type
}

export const sourceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx

  app.get(
    '/collectors/:collectorId/sources',
    {
      schema: {
        tags: ['sources'],
        summary: "List a collector's sources",
        params: CollectorParams,
        querystring: DownloadQuery,
        response: { 200: SourceList, ...failures },
      },
      config: { docs: { response200: Type.Union([SourceList, DownloadedSourceList]) } },
    },
    async (request, reply) => {
      const collectorId = await requireCollector(ctx, request.params.collectorId)
      const records = await ctx.sources.list(collectorId)
      if (request.query.download) return sendDownload(reply, { 'api.version': 'v1', sources: records.map(downloadView) })
      return { sources: records.map(sourceView) }
    },
  )

  app.get(
    '/collectors/:collectorId/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: 'Get a source',
        params: SourceParams,
        querystring: DownloadQuery,
        response: { 200: SourceEnvelope, ...failures },
      },
      config: { docs: { response200: Type.Union([SourceEnvelope, DownloadedSourceEnvelope]) } },
    },
    // A cache hit is answered synchronously, without a promise; anything else goes to the database.
    (request, reply) => {
      const hit = request.query.download ? undefined : peekSource(ctx, request.params)
      if (hit) return void sendSource(reply, hit)
      return findSource(ctx, request.params, { cached: true }).then((record) => {
        if (!request.query.download) return sendSource(reply, record)
        void sendDownload(reply.header('etag', etagOf('source', record.id, record.version)), { 'api.version': 'v1', source: downloadView(record) })
      })
    },
  )

  app.post(
    '/collectors/:collectorId/sources',
    {
      schema: {
        tags: ['sources'],
        summary: 'Create a source',
        description: 'One source per request. `config` is validated by the schema of `schemaRef.type`.',
        params: CollectorParams,
        body: SourceEnvelopeInput,
        response: { 201: SourceEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const collectorId = await requireCollector(ctx, request.params.collectorId)
      const input = request.body.source
      const type = sourceTypeOf(ctx.sourceTypes, input)
      const prepared = prepareConfig(type, input.config, ctx.secretBox, '$.source.config')
      if (!prepared.ok) throw Errors.validation('collectors.validation.config.invalid', prepared.issues)
      let record: SourceRecord
      try {
        record = await ctx.sources.create(collectorId, {
          name: String(prepared.config.name),
          schemaType: type.type,
          config: prepared.publicConfig,
          secrets: prepared.sealedSecrets,
        })
      } catch (err) {
        if (err instanceof DuplicateSourceNameError) throw Errors.duplicateName('source', String(prepared.config.name), '$.source.config.name')
        // Deleted by another request since requireCollector(): the same answer as if it never existed.
        if (err instanceof MissingCollectorError) throw Errors.collectorNotFound(request.params.collectorId)
        throw err
      }
      const location = `/v1/collectors/${collectorId}/sources/${record.id}`
      return sendCreated(reply, { kind: 'source', id: record.id, version: record.version, location }, { source: sourceView(record) })
    },
  )

  app.put(
    '/collectors/:collectorId/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: 'Replace a source',
        description:
          'Full replacement of `config`. Requires `If-Match` with the ETag of a GET. A secret sent as `"********"` keeps ' +
          'the stored value. `schemaRef.type` cannot change. The new config applies from the next run.',
        params: SourceParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        body: SourceEnvelopeInput,
        response: { 200: SourceEnvelope, ...failures },
      },
    },
    async (request, reply) => {
      const current = await findSource(ctx, request.params)
      const input = request.body.source
      if (input.id != null && input.id !== current.id) {
        throw Errors.invalidField('collectors.validation.id.mismatch', '$.source.id', `must be ${current.id}, the id in the URL`)
      }
      checkIfMatch(request.headers['if-match'], etagOf('source', current.id, current.version))
      const type = sourceTypeOf(ctx.sourceTypes, input)
      if (type.type !== current.schemaType) {
        throw Errors.invalidField(
          'collectors.validation.schemaRef.immutable',
          '$.source.schemaRef.type',
          `cannot change from ${JSON.stringify(current.schemaType)}; create a new source instead`,
        )
      }
      const storedSecrets = current.secrets ? ctx.secretBox.openJson(current.secrets) : {}
      const prepared = prepareConfig(type, input.config, ctx.secretBox, '$.source.config', storedSecrets)
      if (!prepared.ok) throw Errors.validation('collectors.validation.config.invalid', prepared.issues)
      let result
      try {
        result = await ctx.sources.replace(current.collectorId, current.id, current.version, {
          name: String(prepared.config.name),
          schemaType: type.type,
          config: prepared.publicConfig,
          secrets: prepared.sealedSecrets,
        })
      } catch (err) {
        if (err instanceof DuplicateSourceNameError) throw Errors.duplicateName('source', String(prepared.config.name), '$.source.config.name')
        throw err
      }
      ctx.sourceReads.invalidate(current.id)
      if (result.kind === 'missing') throw Errors.sourceNotFound(request.params.sourceId)
      if (result.kind === 'stale') throw Errors.preconditionFailed()
      // A fixed config deserves a try now: replace() made a source in Error due and unblocked it.
      if (current.state.state === 'Error') ctx.wakeScheduler()
      void reply.header('etag', etagOf('source', result.record.id, result.record.version))
      return { source: sourceView(result.record) }
    },
  )

  app.delete(
    '/collectors/:collectorId/sources/:sourceId',
    {
      schema: {
        tags: ['sources'],
        summary: 'Delete a source',
        description: 'Synchronous: the source stops and a GET answers 404 right after. Its stored events are deleted.',
        params: SourceParams,
        response: { 200: Type.Unsafe<undefined>({ description: 'Empty body' }), ...failures },
      },
    },
    async (request, reply) => {
      const record = await findSource(ctx, request.params)
      const deleted = await ctx.sources.delete(record.collectorId, record.id)
      ctx.sourceReads.invalidate(record.id)
      if (!deleted) throw Errors.sourceNotFound(request.params.sourceId)
      return reply.code(200).send()
    },
  )
}

/** The cached record of a source, when the read cache has it; never waits. */
function peekSource(ctx: AppContext, params: { collectorId: string; sourceId: string }): SourceRecord | undefined {
  const collectorId = parseId(params.collectorId)
  const sourceId = parseId(params.sourceId)
  return collectorId === undefined || sourceId === undefined ? undefined : ctx.sourceReads.peek(collectorId, sourceId)
}

/**
 * One query on the hot path (none on a cache hit); the collector is only looked up to pick the
 * right 404. Only plain reads may use the cache: writes check If-Match against the database.
 */
export async function findSource(ctx: AppContext, params: { collectorId: string; sourceId: string }, options: { cached?: boolean } = {}): Promise<SourceRecord> {
  const collectorId = parseId(params.collectorId)
  const sourceId = parseId(params.sourceId)
  const reader = options.cached ? ctx.sourceReads : ctx.sources
  const record = collectorId === undefined || sourceId === undefined ? undefined : await reader.get(collectorId, sourceId)
  if (record) return record
  await requireCollector(ctx, params.collectorId)
  throw Errors.sourceNotFound(params.sourceId)
}
