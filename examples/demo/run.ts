// `npm run demo`: the whole thing in one command. A fake ChatGPT Compliance Logs Platform with a few
// days of data for all 7 event types, the openc2c service on embedded PGlite, a collector and a
// ChatGPT Compliance source with every type enabled, and two destinations: NDJSON files in the data
// directory and a fake Splunk HTTP Event Collector with indexer acknowledgement. It shows the source's
// state changes, the events stored per type and the events delivered and waiting per destination,
// prints a few stored events and the curl commands to explore, and keeps running (new files now and
// then) until Ctrl-C. `--once` exits once the first run is stored and delivered.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { seedDemoHistory, startPeriodicPublishing, type PeriodicPublisher } from '../../test/fakes/chatgpt/demo-publisher.js'
import { startFakeCompliance, type ComplianceEventType, type FakeCompliance } from '../../test/fakes/chatgpt/index.js'
import { type FakeSplunkHec, startFakeSplunkHec } from '../../test/fakes/receivers/index.js'
import { parseDemoOptions, USAGE, type DemoOptions } from './options.js'
import { startServiceProcess, type ServiceProcess } from './service-process.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The source's event types: Sumo's short names and the Logs Platform's names. */
const TYPES: [string, ComplianceEventType][] = [
  ['CONVERSATION', 'CONVERSATION_MESSAGE'],
  ['CODEX', 'CODEX_LOG'],
  ['CODEX_SECURITY', 'CODEX_SECURITY_LOG'],
  ['AUDIT', 'AUDIT_LOG'],
  ['APP', 'APP_LOG'],
  ['AUTH', 'AUTH_LOG'],
  ['APP_AUTH', 'APP_AUTH_LOG'],
]

const say = (line = '') => process.stdout.write(`${line}\n`)
const stamp = () => new Date().toISOString().slice(11, 19)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

class Api {
  readonly authorization: string
  constructor(
    readonly baseUrl: string,
    readonly accessId: string,
    readonly accessKey: string,
  ) {
    this.authorization = `Basic ${Buffer.from(`${accessId}:${accessKey}`).toString('base64')}`
  }

  async call(method: string, url: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.baseUrl}${url}`, {
      method,
      headers: { authorization: this.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${text}`)
    return url === '/metrics' ? text : JSON.parse(text)
  }
}

/** Events stored per upstream type for one source, from the Prometheus counters at /metrics. */
async function storedPerType(api: Api, sourceId: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  const text: string = await api.call('GET', '/metrics')
  for (const match of text.matchAll(/^openc2c_events_stored_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (labels.source_id === String(sourceId)) counts.set(labels.stream!, Number(match[2]))
  }
  return counts
}

/** Delivered and waiting events per destination, as the API shows them. */
async function deliveryLine(api: Api): Promise<{ line: string; waiting: number }> {
  const { destinations } = await api.call('GET', '/api/v1/destinations')
  const parts = destinations.map((d: any) => {
    const state = d.state.state === 'Error' ? `, ${d.state.errorType}: ${d.state.errorCode}` : ''
    return `${d.name} ${d.delivery.eventsDelivered} delivered, ${d.delivery.lagEvents} waiting (${d.delivery.lagSeconds.toFixed(1)} s)${state}`
  })
  return { line: parts.join(' · '), waiting: destinations.reduce((n: number, d: any) => n + d.delivery.lagEvents, 0) }
}

/** Prints delivery progress until every destination has delivered everything stored. */
async function followDelivery(api: Api): Promise<void> {
  let last = ''
  for (;;) {
    const { line, waiting } = await deliveryLine(api)
    if (line !== last) say(`[${stamp()}] destinations: ${line}`)
    last = line
    if (waiting === 0) return
    await sleep(500)
  }
}

/** Follows one run: prints state changes and progress until it ends; returns the finished run. */
async function followRun(api: Api, sourcePath: string, sourceId: number, afterRunId: number, state: { last: string }): Promise<any> {
  let lastStored = -1
  for (;;) {
    const source = (await api.call('GET', sourcePath)).source
    const current = source.state.state + (source.state.errorType ? ` (${source.state.errorType}: ${source.state.errorInfo})` : '')
    if (current !== state.last) {
      say(`[${stamp()}] state ${state.last} → ${current}`)
      state.last = current
    }
    const run = (await api.call('GET', `${sourcePath}/runs?limit=1`)).runs[0]
    if (run && run.id > afterRunId) {
      if (run.eventsStored !== lastStored) {
        lastStored = run.eventsStored
        const perType = await storedPerType(api, sourceId)
        const detail = TYPES.map(([short, type]) => `${short} ${perType.get(type) ?? 0}`).join(' · ')
        say(`[${stamp()}] run ${run.id}: ${run.origins} files, ${run.eventsStored} events stored │ since start, per type: ${detail}`)
        say(`[${stamp()}] destinations: ${(await deliveryLine(api)).line}`)
      }
      if (run.status !== 'running') return run
    }
    await sleep(500)
  }
}

function printSampleEvents(events: any[]): void {
  say('A few stored events (id, type, timestamp, metadata, and the start of the upstream record):')
  for (const e of events) {
    say(`  ${e.id}  ${e.type}  ${e.timestamp}  ${JSON.stringify(e.metadata)}`)
    say(`    ${JSON.stringify(e.event).slice(0, 160)}…`)
  }
}

function printCurls(api: Api, collectorId: number, sourceId: number): void {
  const curl = `curl -s -u '${api.accessId}:${api.accessKey}'`
  const base = `${api.baseUrl}/api/v1/collectors/${collectorId}/sources/${sourceId}`
  const commands: [string, string][] = [
    ['collectors, Sumo Collector Management API style', `${curl} ${api.baseUrl}/api/v1/collectors`],
    ['the source: config (apiKey write-only), state, and the collection object', `${curl} ${base}`],
    ['runs: files, events stored, duplicates skipped, quarantined, errors', `${curl} ${base}/runs`],
    ['stored events, oldest first; pass "next" back as &after=…', `${curl} '${base}/events?limit=5'`],
    ['malformed upstream records kept aside (none here)', `${curl} ${base}/quarantine`],
    ['destinations: state, events delivered and waiting, secrets as "********"', `${curl} ${api.baseUrl}/api/v1/destinations`],
    ['run now instead of at the next interval', `${curl} -X POST ${base}/action/restart`],
    ['Prometheus metrics', `${curl} ${api.baseUrl}/metrics | grep '^openc2c_'`],
    ['the OpenAPI document (Swagger UI in a browser at /docs)', `curl -s ${api.baseUrl}/openapi.json | head -c 300`],
  ]
  say('Explore:')
  for (const [what, command] of commands) say(`  # ${what}\n  ${command}`)
}

async function main(options: DemoOptions): Promise<number> {
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-demo-'))
  await fs.mkdir(dataDir, { recursive: true })
  let fake: FakeCompliance | undefined
  let hec: FakeSplunkHec | undefined
  let service: ServiceProcess | undefined
  let publisher: PeriodicPublisher | undefined
  let stopping = false
  const cleanUp = async () => {
    publisher?.stop()
    await service?.stop()
    await fake?.close()
    await hec?.close()
    if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true })
  }
  const onSignal = (signal: string) => {
    if (stopping) return
    stopping = true
    say(`\n[${stamp()}] ${signal}: stopping the service and the fake${options.dataDir ? ` (data kept in ${dataDir})` : ''}`)
    cleanUp().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`demo: ${err}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))

  try {
    say('openc2c demo')
    // No upstream rate limit: the demo's history is a few hundred files and should load in seconds.
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const seeded = seedDemoHistory(fake, { days: options.days, filesPerDay: options.filesPerDay, eventsPerFile: options.eventsPerFile, types: TYPES.map(([, t]) => t) })
    const published = () => fake!.expectedEventIds().size
    say(`  fake Logs Platform  ${fake.baseUrl}  (workspace ${fake.workspaceId})`)
    say(`                      ${seeded.length} files, ${published()} events over ${options.days} day(s), 7 event types`)

    const accessId = 'demo'
    const accessKey = crypto.randomBytes(18).toString('base64url')
    say(`  service             starting on embedded PGlite in ${dataDir} …`)
    service = await startServiceProcess(ROOT, dataDir, {
      PORT: String(options.port),
      OPENC2C_ACCESS_ID: accessId,
      OPENC2C_ACCESS_KEY: accessKey,
      OPENC2C_CHATGPT_BASE_URL: fake.baseUrl,
      OPENC2C_SCHEDULER_POLL_MS: '1000',
      OPENC2C_UPSTREAM_REQUESTS_PER_MINUTE: '0',
      OPENC2C_DELIVERY_POLL_MS: '250',
      OPENC2C_DELIVERY_ACK_POLL_MS: '250',
    })
    void service.child.once('exit', (code, signal) => {
      if (stopping) return
      process.stderr.write(`demo: the service exited (${signal ?? code}); see ${service!.logFile}\n`)
      process.exit(1)
    })
    const api = new Api(service.baseUrl, accessId, accessKey)
    say(`  service             ${service.baseUrl}  (log: ${service.logFile})`)

    const collector = (await api.call('POST', '/api/v1/collectors', { collector: { collectorType: 'Hosted', name: 'chatgpt-demo', category: 'demo/chatgpt' } })).collector
    const source = (
      await api.call('POST', `/api/v1/collectors/${collector.id}/sources`, {
        source: {
          sourceType: 'Universal',
          schemaRef: { type: 'ChatGPT Compliance' },
          config: {
            name: 'ChatGPT Compliance',
            category: 'demo/chatgpt/compliance',
            workspaceID: fake.workspaceId,
            apiKey: fake.apiKey,
            enabledEventType: TYPES.map(([short]) => short),
            pollingIntervalHour: '1h',
          },
        },
      })
    ).source
    const sourcePath = `/api/v1/collectors/${collector.id}/sources/${source.id}`
    say(`  collector ${collector.id} "${collector.name}", source ${source.id} "${source.config.name}" with ${TYPES.map(([s]) => s).join(', ')}`)

    hec = await startFakeSplunkHec({ acks: true, retainEvents: false })
    const filesDir = path.join(dataDir, 'delivered')
    const destinations = [
      { name: 'files', type: 'file', config: { directory: filesDir, maxFileAgeSeconds: 10 } },
      { name: 'splunk', type: 'splunk_hec', config: { url: hec.url, token: hec.token, indexerAck: true } },
    ]
    for (const destination of destinations) await api.call('POST', '/api/v1/destinations', { destination })
    say(`  destination "files"  NDJSON files in ${filesDir}`)
    say(`  destination "splunk" a fake Splunk HTTP Event Collector at ${hec.url}, with indexer acknowledgement`)
    say()

    const state = { last: source.state?.state ?? 'Pending' }
    let run = await followRun(api, sourcePath, source.id, 0, state)
    say(`[${stamp()}] run ${run.id} ${run.status}: ${run.origins} files, ${run.eventsStored} events stored, ${run.duplicatesSkipped} duplicates skipped, ${run.quarantined} quarantined`)
    const expected = published()
    say(`[${stamp()}] stored ${run.eventsStored} of the ${expected} events the fake published${run.eventsStored === expected ? ' — all of them' : ''}`)
    await followDelivery(api)
    const delivered = (await api.call('GET', '/api/v1/destinations')).destinations as any[]
    const allDelivered = delivered.every((d) => d.delivery.eventsDelivered >= expected)
    say(`[${stamp()}] delivered ${delivered.map((d) => `${d.delivery.eventsDelivered} to ${d.name}`).join(' and ')}${allDelivered ? ' — all of them' : ''}; the Splunk fake holds ${hec.acceptedEvents().length} events`)
    say()
    printSampleEvents((await api.call('GET', `${sourcePath}/events?limit=3`)).events)
    say()
    printCurls(api, collector.id, source.id)
    say()
    if (options.once) {
      const ok = run.status === 'succeeded' && run.eventsStored === expected && allDelivered
      stopping = true
      await cleanUp()
      return ok ? 0 : 1
    }

    // The source's interval is at least an hour; the demo publishes more often and asks for a run
    // each time (the restart action), so the new files show up within seconds.
    if (options.publishEverySeconds > 0) {
      say(`Publishing a new file per type every ${options.publishEverySeconds} s, then requesting a run. Ctrl-C to stop.`)
      publisher = startPeriodicPublishing(fake, {
        everySeconds: options.publishEverySeconds,
        eventsPerFile: options.eventsPerFile,
        types: TYPES.map(([, t]) => t),
        onPublish: () => {},
      })
      for (;;) {
        await sleep(options.publishEverySeconds * 1000 + 200)
        say(`[${stamp()}] new files published (now ${published()} events); requesting a run`)
        await api.call('POST', `${sourcePath}/action/restart`)
        run = await followRun(api, sourcePath, source.id, run.id, state)
        say(`[${stamp()}] run ${run.id} ${run.status}: ${run.origins} new files, ${run.eventsStored} events stored, ${run.duplicatesSkipped} duplicates skipped`)
        await followDelivery(api)
      }
    }
    say('Running until Ctrl-C (the source runs again at its hourly interval).')
    await new Promise(() => {})
    return 0
  } catch (err) {
    if (stopping) return 0
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`)
    stopping = true
    await cleanUp().catch(() => {})
    return 1
  }
}

let options: DemoOptions
try {
  options = parseDemoOptions(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`demo: ${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (options.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
process.exit(await main(options))
