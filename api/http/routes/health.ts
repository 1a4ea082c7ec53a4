// GET /healthz: 200 while the database answers, 503 otherwise. Public, for load balancers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { pingDatabase } from '../../store/database.js'

const PING_TIMEOUT_MS = 2000
export const UNAVAILABLE_REASON = 'the database is unreachable'

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      config: { auth: false },
      schema: {
        tags: ['service'],
        summary: 'Health check',
        response: {
          200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), database: Type.String(), reason: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const { database } = app.ctx
      try {
        await withTimeout(pingDatabase(database.db), PING_TIMEOUT_MS)
        return { status: 'ok' as const, database: database.kind }
      } catch (err) {
        // The route is public: the driver's error (host, port, user, database name) goes to the log only.
        request.log.warn({ err }, 'health check: the database did not answer')
        return reply.code(503).send({ status: 'unavailable' as const, database: database.kind, reason: UNAVAILABLE_REASON })
      }
    },
  )
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
