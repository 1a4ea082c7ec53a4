// Entry point: config → database → migrations → secrets and credentials → HTTP server (+ runtime).
import { buildService, type Service, shutdown } from './service.js'
import { ConfigError, loadConfig } from './config.js'
import { StartupError } from './bootstrap.js'
import { DataDirError } from './store/data-dir.js'

async function main(): Promise<void> {
  let service: Service
  try {
    service = await buildService(loadConfig(), { print: (text) => process.stdout.write(`${text}\n`) })
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StartupError || err instanceof DataDirError) {
      process.stderr.write(`openc2c: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  await service.start()
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    // Exits when stopped, or after SHUTDOWN_DEADLINE_MS with a log line if a run hangs.
    void shutdown(service, signal)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((err) => {
  process.stderr.write(`openc2c: failed to start: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})

