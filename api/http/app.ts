// The Fastify app factory: plugins in order (errors → auth → OpenAPI) and the route groups. Every
// API route is served under /api/v1 (Sumo's path) and /v1 (what the Sumo Terraform provider asks
// for when `base_url` lacks the trailing slash, docs/sumo-collector-api.md §1).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { TSchema } from '@sinclair/typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from 'fastify'
import { CollectorInput, Collector } from '../../schemas/collector.js'
import { ErrorBody, ValidationIssue } from '../../schemas/error-body.js'
import { SourceCollection, SourceInput, Source, SourceState } from '../../schemas/source.js'
import { CredentialVerifier } from '../store/credentials.js'
import { bodyAjv, paramsAjv } from '../validation.js'
import type { AppContext } from './context.js'
import { ApiError, Errors, errorBody } from './api-error.js'
import { isLevelEnabled, lazyChildLoggerFactory } from './request-logger.js'
import { authPlugin, type FailedAuthLimiter } from './plugins/auth.js'
import { errorsPlugin } from './plugins/error-handler.js'
import { ALIAS_PREFIX, API_PREFIX, openapiPlugin } from './plugins/openapi.js'
import { collectorRoutes } from './routes/collectors.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { sourceActivityRoutes } from './routes/source-activity.js'
import { sourceRoutes } from './routes/sources.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route, for the OpenAPI completeness test and diagnostics. */
    routeList: { method: string; url: string }[]
  }
}

export interface BuildAppOptions {
  ctx: AppContext
  logger: FastifyBaseLogger | false
  version: string
  /** Failed-authentication limits; the defaults of plugins/auth.ts when absent (tests pass their own). */
  authLimiter?: FailedAuthLimiter
}

const SHARED_SCHEMAS = [ValidationIssue, ErrorBody, CollectorInput, Collector, SourceState, SourceCollection, SourceInput, Source]

/** The API's shared schemas and each source type's config schema, by $id. */
function sharedSchemas(ctx: AppContext): TSchema[] {
  const schemas: TSchema[] = [...SHARED_SCHEMAS, ...ctx.sourceTypes.all().map((t) => t.configSchema)]
  for (const ajv of [bodyAjv, paramsAjv]) {
    for (const schema of schemas) if (!ajv.getSchema(schema.$id!)) ajv.addSchema(schema)
  }
  return schemas
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const schemas = sharedSchemas(options.ctx)
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger, childLoggerFactory: lazyChildLoggerFactory } : { logger: false }),
    routerOptions: { ignoreTrailingSlash: true },
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Malformed URLs (bad percent-encoding) and content types are rejected before routing; answer
    // them with the API's error body too.
    frameworkErrors: (error, _request, reply) => {
      const apiError =
        error.code === 'FST_ERR_BAD_URL'
          ? Errors.invalidField('url.invalid', 'url', 'is not a valid URL: it holds malformed percent-encoding')
          : new ApiError(400, 'request.invalid', error.message)
      void (reply as FastifyReply).code(apiError.status).type('application/json; charset=utf-8').send(errorBody(apiError))
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('ctx', options.ctx)
  const routeList: { method: string; url: string }[] = []
  app.decorate('routeList', routeList)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeList.push({ method, url: route.url })
  })
  for (const schema of schemas) app.addSchema(schema)
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema))

  // Successful requests are logged at debug level, so production logs at info show only rejections
  // and failures (each with its error code) instead of one line per API call. A callback hook that
  // builds nothing when its line is off: it runs on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode
    const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug'
    if (isLevelEnabled(request.log, level)) {
      request.log[level]({ method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0], status, ms: Math.round(reply.elapsedTime) }, 'request completed')
    }
    done()
  })

  await app.register(errorsPlugin)
  await app.register(authPlugin, {
    credentials: new CredentialVerifier(options.ctx.database.db),
    ...(options.authLimiter ? { limiter: options.authLimiter } : {}),
  })
  await app.register(openapiPlugin, { version: options.version })

  await app.register(healthRoutes)
  await app.register(metricsRoutes)
  for (const prefix of [API_PREFIX, ALIAS_PREFIX]) {
    await app.register(
      async (api) => {
        await api.register(collectorRoutes)
        await api.register(sourceRoutes)
        await api.register(sourceActivityRoutes)
      },
      { prefix },
    )
  }
  return app
}
