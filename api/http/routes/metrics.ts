// GET /metrics: Prometheus text format. Per-source gauges are refreshed from the database on each
// scrape; counters are this process's own. Requires the API credentials (Prometheus `basic_auth`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

export const metricsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.ctx
  app.get(
    '/metrics',
    { schema: { tags: ['service'], summary: 'Prometheus metrics', produces: ['text/plain'], response: { 200: { type: 'string' } } } },
    async (_request, reply) => {
      const { metrics } = ctx
      metrics.lag.reset()
      metrics.state.reset()
      metrics.quarantinedRecords.reset()
      const now = Date.now()
      for (const source of await ctx.sources.listAllForMetrics()) {
        const labels = { source_id: String(source.id), source: source.name }
        metrics.state.set({ ...labels, state: source.state, error_type: source.errorType ?? '' }, 1)
        metrics.quarantinedRecords.set(labels, source.quarantinedRecords)
        if (source.newestEventAt) metrics.lag.set(labels, Math.max(0, (now - source.newestEventAt.getTime()) / 1000))
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    },
  )
}
