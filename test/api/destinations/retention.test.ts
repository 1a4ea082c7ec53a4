// Retention waits for delivery: an event an enabled destination's filter matches is not pruned before
// that destination delivered it (or holds it as a dead letter), and /metrics says how many events
// retention holds back for which destination. Disabled destinations and destinations whose filter
// does not match the source hold nothing.
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { stableEventId } from '../../../api/destinations/wire.js'
import { type FakeElasticsearch, type FakeWebhook, startFakeElasticsearch, startFakeWebhook } from '../../fakes/receivers/index.js'
import { type Collecting, startCollecting } from '../../helpers/collecting.js'

const DELIVERY_ENV = { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0', OPENC2C_UPSTREAM_RETRY_BASE_MS: '20' }

let c: Collecting | undefined
let hook: FakeWebhook | undefined
let es: FakeElasticsearch | undefined
afterEach(async () => {
  await c?.close()
  await hook?.close()
  await es?.close()
  c = hook = es = undefined
})

async function storedCount(c: Collecting, sourceId: number): Promise<number> {
  const r = await sql<{ n: number }>`select count(*) as n from events where source_id = ${sourceId}`.execute(c.t.service.database.db)
  return Number(r.rows[0]!.n)
}

async function metricsText(c: Collecting): Promise<string> {
  return (await c.t.request('GET', '/metrics')).body
}

describe('retention waits for delivery', () => {
  it('keeps what an enabled destination has not delivered, shows the hold per destination, and prunes once it is delivered', async () => {
    c = await startCollecting({ env: DELIVERY_ENV })
    c.fake.addGeneratedFiles('AUDIT_LOG', 2, 30)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    await c.waitForRun(sourceId)
    const expected = c.fake.expectedEventIds('AUDIT_LOG')
    hook = await startFakeWebhook()
    // The receiver is down: nothing can be delivered.
    hook.faults.failNext(1_000_000, { status: 503 })
    const create = async (name: string, extra: Record<string, unknown>) =>
      (await c!.t.request('POST', '/api/v1/destinations', { destination: { name, type: 'webhook', config: { url: hook!.url }, ...extra } })).json().destination.id
    const down = await create('down', {})
    const disabled = await create('disabled', { enabled: false })
    const elsewhere = await create('elsewhere', { filter: { sourceIds: [sourceId + 1000] } })
    await c.waitFor(async () => hook!.requests.length > 0, 'a delivery attempt')

    // Everything was stored 40 days ago, past the 30 days of retention.
    await sql`update events set received_at = now() - interval '40 days' where source_id = ${sourceId}`.execute(c.t.service.database.db)
    expect(await c.t.service.retention!.prune()).toBeUndefined()
    expect(await storedCount(c, sourceId)).toBe(expected.size)
    const held = await metricsText(c)
    expect(held).toMatch(new RegExp(`openc2c_retention_held_events\\{destination_id="${down}",destination="down"\\} ${expected.size}`))
    expect(held).not.toMatch(new RegExp(`openc2c_retention_held_events\\{destination_id="${disabled}"`))
    expect(held).toMatch(new RegExp(`openc2c_retention_held_events\\{destination_id="${elsewhere}",destination="elsewhere"\\} 0`))

    // The receiver comes back: once delivered, the events go.
    hook.faults.clear()
    await c.waitFor(async () => (await c!.t.request('GET', `/api/v1/destinations/${down}`)).json().destination.delivery.lagEvents === 0, 'the backlog delivered', 30_000)
    await c.t.service.retention!.prune()
    expect(await storedCount(c, sourceId)).toBe(0)
    expect(await metricsText(c)).toMatch(new RegExp(`openc2c_retention_held_events\\{destination_id="${down}",destination="down"\\} 0`))
  })

  it('keeps a dead-lettered event while an enabled destination holds it, so it can be replayed', async () => {
    c = await startCollecting({ env: DELIVERY_ENV })
    c.fake.addGeneratedFiles('AUDIT_LOG', 1, 20)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    await c.waitForRun(sourceId)
    const [refused] = [...c.fake.expectedEventIds('AUDIT_LOG')]
    es = await startFakeElasticsearch()
    es.failItems([stableEventId('ChatGPT Compliance', refused!)], 'document_parsing', { times: 1_000_000 })
    const id = (await c.t.request('POST', '/api/v1/destinations', { destination: { name: 'es', type: 'elasticsearch', config: { url: es.url, index: 'audit', apiKey: es.apiKey } } })).json().destination.id
    await c.waitFor(async () => (await c!.t.request('GET', `/api/v1/destinations/${id}`)).json().destination.delivery.deadLetters === 1, 'the dead letter', 30_000)

    await sql`update events set received_at = now() - interval '40 days' where source_id = ${sourceId}`.execute(c.t.service.database.db)
    await c.t.service.retention!.prune()
    const left = await c.t.service.database.db.selectFrom('events').select('event_id').where('source_id', '=', sourceId).execute()
    expect(left.map((r) => r.event_id)).toEqual([refused])
    expect(await metricsText(c)).toMatch(new RegExp(`openc2c_retention_held_events\\{destination_id="${id}",destination="es"\\} 1`))
  })
})
