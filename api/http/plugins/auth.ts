// HTTP Basic auth with an access id and key on every route, except those whose route config says
// `auth: false` (/healthz, the docs). Runs at onRequest, before the body is read, so an
// unauthenticated client learns nothing about validation.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { CredentialVerifier } from '../../store/credentials.js'
import { Errors } from '../errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean
    /** Documentation-only overrides (plugins/openapi.ts), e.g. a 200 body with several shapes. */
    docs?: { response200?: object }
  }
  interface FastifyRequest {
    accessId?: string
  }
}

export interface AuthOptions {
  credentials: CredentialVerifier
}

export function parseBasicAuth(header: string | undefined): { accessId: string; accessKey: string } | undefined {
  if (!header) return undefined
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header)
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { accessId: decoded.slice(0, colon), accessKey: decoded.slice(colon + 1) }
}

export const authPlugin = fp(async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  app.decorateRequest('accessId', undefined)
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config?.auth === false) return
    const credentials = parseBasicAuth(request.headers.authorization)
    if (!credentials || !(await options.credentials.verify(credentials.accessId, credentials.accessKey))) {
      throw Errors.unauthorized()
    }
    request.accessId = credentials.accessId
  })
})
