// `npm run bench:deliver`: delivery throughput from the store to each HTTP destination kind on
// loopback — the real service process delivering a stored backlog to a fake receiver — next to a raw
// baseline measured in the same rounds: the same bodies, built beforehand by the kind's own sender,
// POSTed one at a time (the service's concurrency per destination) by a minimal client to a fresh
// fake of the same kind. Goal: ≥ 80% of the baseline's events/s for every kind.
//
// Env: BENCH_EVENTS (default 100000, ~1 KiB each), BENCH_ROUNDS (default 3), BENCH_KINDS (default
// splunk_hec,elasticsearch,sumo_http,webhook), BENCH_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_PGLITE ("off" skips the embedded-database leg).
import { findDestinationKind } from '../api/destinations/registry.js'
import type { OutgoingEvent } from '../api/destinations/destination-kind.js'
import { startFakeElasticsearch, startFakeSplunkHec, startFakeSumoHttp, startFakeWebhook } from '../test/fakes/receivers/index.js'
import { api } from '../test/api/runtime/service-api.js'
import { createTestDatabaseLocation } from '../test/helpers/db.js'
import { type RunningService, startService } from '../test/helpers/service.js'
import { buildRequests, postAll } from './lib/deliver-baseline.js'
import { type Backlog, storeBacklog } from './lib/deliver-data.js'
import { machine, progress, table } from './lib/report.js'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const KINDS = (process.env.BENCH_KINDS ?? 'splunk_hec,elasticsearch,sumo_http,webhook').split(',')
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DATABASES = process.env.BENCH_PGLITE === 'off' ? ['postgres'] : ['postgres', 'pglite']
// What the delivery loop uses by default: 1000 events or 1 MiB of raw text per batch.
const BATCH_EVENTS = 1000
const BATCH_BYTES = 1024 * 1024

/** What the benchmark needs of a fake receiver. */
interface Receiver {
  url: string
  acceptedEvents(): readonly unknown[]
  close(): Promise<void>
}

interface Kind {
  name: string
  type: string
  start(): Promise<Receiver>
  config(fake: Receiver): Record<string, unknown>
  /** The receiver's success answer, for building the baseline's bodies. */
  success(url: string): string
}

const kinds: Kind[] = [
  {
    name: 'splunk_hec',
    type: 'splunk_hec',
    start: () => startFakeSplunkHec({ retainEvents: false }),
    config: (f: Receiver) => ({ url: f.url, token: (f as unknown as { token: string }).token }),
    success: () => '{"text":"Success","code":0}',
  },
  {
    name: 'elasticsearch',
    type: 'elasticsearch',
    start: () => startFakeElasticsearch({ retainEvents: false }),
    config: (f: Receiver) => ({ url: f.url, index: 'bench', apiKey: (f as unknown as { apiKey: string }).apiKey }),
    success: () => '{"took":1,"errors":false,"items":[]}',
  },
  { name: 'sumo_http', type: 'sumo_http', start: () => startFakeSumoHttp({ retainEvents: false }), config: (f: Receiver) => ({ url: f.url }), success: () => '' },
  { name: 'webhook', type: 'webhook', start: () => startFakeWebhook({ retainEvents: false }), config: (f: Receiver) => ({ url: f.url }), success: () => '{}' },
].filter((k) => KINDS.includes(k.name))

interface Result {
  database: string
  kind: string
  baseline: number[]
  service: number[]
}

/** The backlog as the delivery loop cuts it into batches, read back through the events API. */
async function batchesOf(service: RunningService, backlog: Backlog): Promise<OutgoingEvent[][]> {
  const collectorId = (await api(service, 'GET', '/api/v1/collectors')).collectors[0].id
  const events: OutgoingEvent[] = []
  for (let after: string | null = '0'; after !== null; ) {
    const page: { events: any[]; next: string | null } = await api(service, 'GET', `/api/v1/collectors/${collectorId}/sources/${backlog.sourceId}/events?limit=1000&after=${after}`)
    for (const e of page.events) {
      events.push({ seq: 0, sourceId: backlog.sourceId, sourceType: 'ChatGPT Compliance', id: e.id, type: e.type, timestamp: e.timestamp, receivedAt: e.receivedAt, metadataJson: JSON.stringify(e.metadata), raw: JSON.stringify(e.event) })
    }
    after = page.next
  }
  const batches: OutgoingEvent[][] = []
  let current: OutgoingEvent[] = []
  let bytes = 0
  for (const e of events) {
    if (current.length === BATCH_EVENTS || (current.length > 0 && bytes >= BATCH_BYTES)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(e)
    bytes += Buffer.byteLength(e.raw)
  }
  if (current.length > 0) batches.push(current)
  return batches
}

async function waitForEvents(fake: Receiver, events: number): Promise<void> {
  const deadline = Date.now() + 600_000
  while (fake.acceptedEvents().length < events) {
    if (Date.now() > deadline) throw new Error(`only ${fake.acceptedEvents().length} of ${events} events arrived`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const started = Date.now()
progress(`machine: ${machine()}`)
const results: Result[] = []
let mib = 0
for (const database of DATABASES) {
  const location = await createTestDatabaseLocation(database === 'postgres' ? POSTGRES_URL : null)
  progress(`${database}: storing ${EVENTS} events`)
  const backlog = await storeBacklog(location, EVENTS)
  mib = backlog.bytes / 2 ** 20
  const service = await startService({
    location,
    env: { OPENC2C_SCHEDULER: 'on', OPENC2C_SCHEDULER_POLL_MS: '100', OPENC2C_DELIVERY_POLL_MS: '20', OPENC2C_DELIVERY_LINGER_MS: '0', OPENC2C_LEASE_SECONDS: '30' },
  })
  try {
    const batches = await batchesOf(service, backlog)
    progress(`${database}: ${backlog.events} events, ${mib.toFixed(0)} MiB in ${batches.length} batches`)
    for (const kind of kinds) {
      const result: Result = { database, kind: kind.name, baseline: [], service: [] }
      results.push(result)
      for (let round = 1; round <= ROUNDS; round++) {
        let fake = await kind.start()
        const requests = await buildRequests(findDestinationKind(kind.type)!, kind.config(fake), batches, kind.success)
        const baselineS = await postAll(requests)
        await waitForEvents(fake, EVENTS)
        await fake.close()
        result.baseline.push(EVENTS / baselineS)

        fake = await kind.start()
        const t0 = process.hrtime.bigint()
        const { destination } = await api(service, 'POST', '/api/v1/destinations', { destination: { name: `${kind.name}-${round}`, type: kind.type, config: kind.config(fake) } })
        await waitForEvents(fake, EVENTS)
        const serviceS = Number(process.hrtime.bigint() - t0) / 1e9
        await api(service, 'DELETE', `/api/v1/destinations/${destination.id}`)
        await fake.close()
        result.service.push(EVENTS / serviceS)
        progress(`${database} ${kind.name} round ${round}: baseline ${Math.round(EVENTS / baselineS)} events/s, openc2c ${Math.round(EVENTS / serviceS)} events/s (${((100 * baselineS) / serviceS).toFixed(0)}%)`)
      }
    }
  } finally {
    await service.destroy()
  }
}

const rows = results.map((r) => {
  const b = median(r.baseline)
  const s = median(r.service)
  return [r.database, r.kind, Math.round(b), (b * mib / EVENTS).toFixed(1), Math.round(s), (s * mib / EVENTS).toFixed(1), `${((100 * s) / b).toFixed(0)}%`]
})
process.stdout.write(
  `\nbench:deliver — ${EVENTS} stored events (${mib.toFixed(0)} MiB), batches of ${BATCH_EVENTS} events / 1 MiB, one request at a time; median of ${ROUNDS} rounds\n${machine()}\n\n` +
    table(['database', 'kind', 'baseline events/s', 'baseline MiB/s', 'openc2c events/s', 'openc2c MiB/s', 'openc2c / baseline'], rows) +
    `\n\ngoal: ≥ 80% of the baseline for every kind; ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
)
