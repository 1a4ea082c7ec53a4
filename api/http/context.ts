// What route handlers reach through `app.ctx`: repositories and services built once in main.ts.
import type { CollectorsRepository } from '../store/collectors-repository.js'
import type { Database } from '../store/database.js'
import type { SecretBox } from '../store/secrets.js'
import type { SourcesRepository } from '../store/sources-repository.js'

export interface AppContext {
  database: Database
  collectors: CollectorsRepository
  sources: SourcesRepository
  secretBox: SecretBox
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext
  }
}
