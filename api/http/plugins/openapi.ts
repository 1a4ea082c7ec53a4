// OpenAPI 3 document generated from the same TypeBox schemas that validate requests, served at
// /openapi.json, with Swagger UI at /docs. Every route is registered twice (/api/v1 and /v1, see
// app.ts); the document lists each once under /v1 and names both prefixes as servers.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export const API_PREFIX = '/api/v1'
export const ALIAS_PREFIX = '/v1'

export const openapiPlugin = fp(async function openapiPlugin(app: FastifyInstance, options: { version: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'openc2c Collector Management API',
        version: options.version,
        description:
          'Hosted collectors and Cloud-to-Cloud sources, wire-compatible with the Sumo Logic Collector Management API ' +
          '(`/api/v1/collectors`). Every route is also served without the `/api` prefix. Authenticate with HTTP Basic: ' +
          'access id as user name, access key as password. Secrets read back as `"********"`; sending the mask on update ' +
          'keeps the stored value.',
      },
      servers: [
        { url: '/api', description: 'Sumo-style base URL (`base_url = "http://host:port/api/"`)' },
        { url: '/', description: 'Alias without the /api prefix' },
      ],
      components: { securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
      security: [{ basicAuth: [] }],
      tags: [
        { name: 'collectors', description: 'Hosted collectors' },
        { name: 'sources', description: 'Cloud-to-Cloud sources of a collector' },
        { name: 'service', description: 'Health and documentation' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }) => {
      if (url.startsWith(ALIAS_PREFIX + '/') || url === ALIAS_PREFIX) {
        return { schema: { ...(schema ?? {}), hide: true }, url }
      }
      const docUrl = url.startsWith(API_PREFIX) ? url.slice('/api'.length) : url
      const docSchema: Record<string, any> = { ...(schema ?? {}) }
      if (route.config?.auth === false) docSchema.security = []
      const response200 = route.config?.docs?.response200
      if (response200) docSchema.response = { ...docSchema.response, 200: response200 }
      return { schema: docSchema, url: docUrl }
    },
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject
      const doc = documentObject.openapiObject as { components?: { schemas?: Record<string, any> } }
      // Requests validate `config` by the type named in schemaRef.type; the document shows each type.
      const sourceInput = doc.components?.schemas?.SourceInput
      if (sourceInput?.properties?.config) {
        sourceInput.properties.config = {
          description: 'Integration-specific configuration, chosen by `schemaRef.type`',
          oneOf: app.ctx.sourceTypes.all().map((t) => ({ $ref: `#/components/schemas/${t.configSchema.$id}` })),
        }
      }
      return documentObject.openapiObject as never
    },
  })
  // The docs are public: a person browsing them has no credentials yet.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), auth: false }
    })
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } })
  })

  app.get(
    '/openapi.json',
    { config: { auth: false }, schema: { tags: ['service'], summary: 'This OpenAPI document', response: { 200: { type: 'object', additionalProperties: true } } } },
    async () => app.swagger(),
  )
})
