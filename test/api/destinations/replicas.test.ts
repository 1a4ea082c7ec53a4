// Two replicas on one Postgres deliver one backlog: the destination leases share the destinations
// between them, every event reaches every destination, and no destination is ever delivered by two
// replicas at once. The receiver takes 40 ms to answer each request, so a destination's requests
// can only overlap if two senders work on it together: one sender waits for each answer, so its next
// request arrives at least 40 ms after the previous one did.
//
// Postgres only: two processes cannot share an embedded PGlite directory.
import fs from 'node:fs/promises'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { startFakeCompliance } from '../../fakes/chatgpt/index.js'
import { startFakeWebhook } from '../../fakes/receivers/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { usingPostgres } from '../../helpers/db.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { api, createChatGptSource, createCollector, getRuns, waitUntil } from '../runtime/service-api.js'

const ANSWER_MS = 40
const DESTINATIONS = 4

describe.runIf(usingPostgres)('two replicas delivering one backlog', () => {
  it('share the destinations, deliver every event to each, and never deliver one destination from both at once', { timeout: 300_000 }, async () => {
    const fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const hook = await startFakeWebhook({ retainEvents: true })
    const processes: RunningService[] = []
    let db: pg.Client | undefined
    try {
      for (let i = 0; i < 4; i++) fake.addLogFile('AUDIT_LOG', { generate: { count: 1500 } })
      const expected = fake.expectedEventIds('AUDIT_LOG')
      // Two destinations each at most, so that the four are shared.
      const env = {
        ...FAST_RUNTIME_ENV,
        OPENC2C_CHATGPT_BASE_URL: fake.baseUrl,
        OPENC2C_LEASE_SECONDS: '3',
        OPENC2C_MAX_CONCURRENT_DELIVERIES: '2',
        OPENC2C_DELIVERY_POLL_MS: '50',
        OPENC2C_DELIVERY_LINGER_MS: '0',
        OPENC2C_DELIVERY_BATCH_EVENTS: '200',
      }
      const first = await startService({ env })
      processes.push(first)
      const collectorId = await createCollector(first)
      const sourceId = await createChatGptSource(first, collectorId, fake, { enabledEventType: ['AUDIT'] })
      await waitUntil(async () => (await getRuns(first, collectorId, sourceId)).some((r) => r.status === 'succeeded'), 'the backlog collected', 120_000)
      // The second replica: the same database, secret key and credentials, a data directory of its own.
      processes.push(await startService({ reuse: { ...first, dataDir: `${first.dataDir}-2` }, env }))

      hook.faults.setDelay(ANSWER_MS)
      for (let i = 1; i <= DESTINATIONS; i++) {
        await api(first, 'POST', '/api/v1/destinations', { destination: { name: `hook-${i}`, type: 'webhook', config: { url: hook.url, headers: { 'x-destination': `hook-${i}` } } } })
      }

      db = new pg.Client({ connectionString: first.location.databaseUrl })
      await db.connect()
      const owners = new Set<string>()
      await waitUntil(
        async () => {
          for (const row of (await db!.query<{ lease_owner: string | null }>('select lease_owner from destination_leases')).rows) if (row.lease_owner) owners.add(row.lease_owner.split('-')[0]!)
          const { destinations } = await api(first, 'GET', '/api/v1/destinations')
          return destinations.every((d: any) => d.delivery.lagEvents === 0)
        },
        'every destination delivered',
        240_000,
        100,
      )
      expect(owners.size, 'both replicas held destinations').toBe(2)
      expect(new Set(processes.map((p) => String(p.child.pid)))).toEqual(owners)

      for (let i = 1; i <= DESTINATIONS; i++) {
        const name = `hook-${i}`
        const requests = hook.requests.filter((r) => r.headers['x-destination'] === name && r.status === 200)
        const arrivals = requests.map((r) => Date.parse(r.at)).sort((a, b) => a - b)
        const overlaps = arrivals.slice(1).filter((at, j) => at - arrivals[j]! < ANSWER_MS - 1)
        expect(overlaps, `${name}: a request arrived while another was being answered`).toEqual([])
        const ids = new Set(
          hook
            .acceptedEvents()
            .filter((e) => requests.some((r) => r.seq === e.requestSeq))
            .map((e) => e.id!),
        )
        expect([...expected].filter((id) => !ids.has(id)), `${name}: events never delivered`).toEqual([])
      }
    } finally {
      await db?.end()
      for (const p of processes.slice(1).reverse()) {
        await p.kill()
        await fs.rm(p.dataDir, { recursive: true, force: true })
      }
      await processes[0]?.destroy()
      await hook.close()
      await fake.close()
    }
  })
})
