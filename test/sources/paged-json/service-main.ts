// The service as `npm start` runs it, built with the test-only Paged JSON type next to the built-in
// ones: what the kill tests run in a child process (under tsx, as this file is not in the bundle).
import { ConfigError, loadConfig } from '../../../api/config.js'
import { buildService, shutdown } from '../../../api/service.js'
import { builtInSourceTypes } from '../../../api/sources/registry.js'
import { pagedJsonSourceType } from './index.js'

const sourceTypes = [...builtInSourceTypes, pagedJsonSourceType]
try {
  const service = await buildService(loadConfig(process.env, { sourceTypes }), { sourceTypes })
  await service.start()
  process.on('SIGTERM', () => void shutdown(service, 'SIGTERM'))
} catch (err) {
  process.stderr.write(`openc2c: ${(err as Error).message}\n`)
  process.exit(err instanceof ConfigError ? 2 : 1)
}
