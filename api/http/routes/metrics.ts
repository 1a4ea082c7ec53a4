// GET /metrics: Prometheus text format. Per-source and per-destination gauges are refreshed from the database on each
// scrape; counters are this process's own. Requires the API credentials (Prometheus `basic_auth`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { eventSelection } from '../../destinations/selection.js'

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
      metrics.destinationState.reset()
      metrics.destinationLagEvents.reset()
      metrics.destinationLagSeconds.reset()
      metrics.retentionHeldEvents.reset()
      const held = await ctx.events.heldByDestinations(ctx.retentionDays)
      for (const destination of await ctx.destinations.list()) {
        const labels = { destination_id: String(destination.id), destination: destination.name }
        metrics.destinationState.set({ ...labels, state: destination.state.state, error_type: destination.state.errorType ?? '' }, 1)
        const lag = await ctx.delivery.lag(destination.id, destination.startSeq, eventSelection(destination.filter, ctx.sourceTypes))
        metrics.destinationLagEvents.set(labels, lag.events)
        metrics.destinationLagSeconds.set(labels, lag.oldestReceivedAt ? Math.max(0, (now - lag.oldestReceivedAt.getTime()) / 1000) : 0)
        if (destination.enabled) metrics.retentionHeldEvents.set(labels, held.get(destination.id) ?? 0)
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    },
  )
}
