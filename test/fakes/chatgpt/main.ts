// `npm run fake-chatgpt`: the fake Compliance API as a standalone process for demos.
// stdout gets exactly one JSON line (what a script needs to configure a collector); everything meant for
// people goes to stderr, so `… | head -n1` style consumers never have to parse prose.

import { CliUsageError, parseCliOptions, USAGE, type CliConfig } from './cli-options.js'
import { seedDemoHistory, startPeriodicPublishing, type PeriodicPublisher } from './demo-publisher.js'
import { startFakeCompliance, type FakeCompliance } from './fake-compliance.js'

async function main(): Promise<void> {
  let config: CliConfig
  try {
    config = parseCliOptions(process.argv.slice(2), process.env)
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err
    process.stderr.write(`fake-chatgpt: ${err.message}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  if (config.help) {
    process.stdout.write(USAGE)
    return
  }

  const fake = await startFakeCompliance(config.fake)
  armFaults(fake, config)
  const seeded = seedDemoHistory(fake, config.history)
  let publisher: PeriodicPublisher | undefined
  if (config.publishEverySeconds > 0) {
    publisher = startPeriodicPublishing(fake, {
      everySeconds: config.publishEverySeconds,
      eventsPerFile: config.history.eventsPerFile,
      fileFaults: config.fileFaults,
      onPublish: (file) => say(`published ${file.event_type} ${file.id} end_time=${file.end_time} events=${file.eventCount} bytes=${file.file_size}`),
      onError: (type, error) => say(`could not publish ${type}: ${error.message}`),
    })
  }

  process.stdout.write(
    JSON.stringify({
      baseUrl: fake.baseUrl,
      signedOrigin: fake.signedOrigin,
      workspaceId: fake.workspaceId,
      organizationId: fake.organizationId,
      apiKey: fake.apiKey,
      port: fake.port,
      signedPort: fake.signedPort,
    }) + '\n',
  )
  say(`fake Compliance API listening`)
  say(`  base URL        ${fake.baseUrl}`)
  say(`  signed storage  ${fake.signedOrigin}`)
  say(`  workspace id    ${fake.workspaceId}`)
  say(`  organization    ${fake.organizationId}`)
  say(`  API key         ${fake.apiKey}`)
  say(`  seeded          ${seeded.length} files over ${config.history.days} day(s)`)
  say(config.publishEverySeconds > 0 ? `  publishing      one file per type every ${config.publishEverySeconds}s` : '  publishing      off (--publish-every S to enable)')
  say(`  try: curl -sL -H "Authorization: Bearer ${fake.apiKey}" "${fake.baseUrl}/compliance/workspaces/${fake.workspaceId}/logs?event_type=AUDIT_LOG&after=1970-01-01T00:00:00Z&limit=5"`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    say(`${signal}: stopping`)
    publisher?.stop()
    fake.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`fake-chatgpt: close failed: ${String(err)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function armFaults(fake: FakeCompliance, config: CliConfig): void {
  for (const f of config.failNext) fake.failNext(f.route, f.status, f.count)
  for (const f of config.rateLimitNext) fake.rateLimitNext(f.route, f.retryAfterSeconds, f.count)
  for (const f of config.slow) fake.slowNext(f.route, { chunkBytes: f.chunkBytes, delayMs: f.delayMs }, f.count)
  for (const f of config.truncate) fake.truncateNext(f.route, f.afterBytes !== undefined ? { afterBytes: f.afterBytes } : {}, f.count)
}

function say(line: string): void {
  process.stderr.write(line + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-chatgpt: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
