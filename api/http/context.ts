// What route handlers reach through `app.ctx`: repositories and services built once in service.ts.
import type { RuntimeMetrics } from '../metrics.js'
import type { SourceTypes } from '../sources/registry.js'
import type { CollectorsRepository } from '../store/collectors-repository.js'
import type { Database } from '../store/database.js'
import type { EventsRepository } from '../store/events-repository.js'
import type { LeasesRepository } from '../store/leases-repository.js'
import type { SecretBox } from '../store/secrets.js'
import type { SourceCache } from '../store/source-cache.js'
import type { SourcesRepository } from '../store/sources-repository.js'

export interface AppContext {
  database: Database
  collectors: CollectorsRepository
  sources: SourcesRepository
  leases: LeasesRepository
  events: EventsRepository
  secretBox: SecretBox
  sourceTypes: SourceTypes
  metrics: RuntimeMetrics
  /** Reads a source for GET; a coherent cache in the service, the repository itself otherwise (whose peek finds nothing). */
  sourceReads: Pick<SourceCache, 'peek' | 'get' | 'invalidate' | 'clear'>
  /** Asks this replica's scheduler to claim due sources now (no-op on an API-only replica). */
  wakeScheduler(): void
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext
  }
}
