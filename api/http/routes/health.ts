// GET /healthz: 200 while the database answers, 503 otherwise. Public, for load balancers.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { pingDatabase } from '../../store/database.js'

const PING_TIMEOUT_MS = 2000

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
    async (_request, reply) => {
      const { database } = app.ctx
      try {
        await withTimeout(pingDatabase(database.db), PING_TIMEOUT_MS)
        return { status: 'ok' as const, database: database.kind }
      } catch (err) {
        return reply.code(503).send({ status: 'unavailable' as const, database: database.kind, reason: (err as Error).message })
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
