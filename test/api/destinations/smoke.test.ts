import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stableEventId } from '../../../api/destinations/wire.js'
import { startFakeElasticsearch, startFakeSplunkHec, startFakeSumoHttp, startFakeWebhook, assertDeliveredExactlyOnce, assertDeliveredAtLeastOnce } from '../../fakes/receivers/index.js'
import { type Collecting, startCollecting } from '../../helpers/collecting.js'

let c: Collecting
afterAll(async () => {
  await c?.close()
})

describe('smoke', () => {
  it('delivers to every kind', { timeout: 60_000 }, async () => {
    c = await startCollecting({ env: { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0', OPENC2C_DELIVERY_ACK_POLL_MS: '50' } })
    c.fake.addGeneratedFiles('AUDIT_LOG', 3, 40)
    const sourceId = await c.createSource({ enabledEventType: ['AUDIT'] })
    await c.waitForRun(sourceId)
    const expected = c.fake.expectedEventIds('AUDIT_LOG')
    const hec = await startFakeSplunkHec({ acks: true })
    const es = await startFakeElasticsearch()
    const sumo = await startFakeSumoHttp()
    const hook = await startFakeWebhook({ signingKey: 'k'.repeat(20) })
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-dest-'))
    const make = async (name: string, type: string, config: Record<string, unknown>) => {
      const res = await c.t.request('POST', '/api/v1/destinations', { destination: { name, type, config } })
      expect(res.statusCode, res.body).toBe(201)
      return res.json().destination.id
    }
    await make('hec', 'splunk_hec', { url: hec.url, token: hec.token, indexerAck: true })
    await make('es', 'elasticsearch', { url: es.url, index: 'logs', apiKey: (es as any).apiKey ?? es.apiKeyAuthorization.replace('ApiKey ', '') })
    await make('sumo', 'sumo_http', { url: sumo.url })
    await make('hook', 'webhook', { url: hook.url, signingKey: 'k'.repeat(20), gzip: true })
    await make('file', 'file', { directory: dir, maxFileAgeSeconds: 1 })
    await c.waitFor(async () => {
      const list = (await c.t.request('GET', '/api/v1/destinations')).json().destinations
      return list.every((d: any) => d.delivery.lagEvents === 0)
    }, 'all delivered', 30_000)
    const list = (await c.t.request('GET', '/api/v1/destinations')).json().destinations
    console.log(JSON.stringify(list.map((d: any) => [d.name, d.state, d.delivery]), null, 1))
    assertDeliveredAtLeastOnce(expected, hec)
    assertDeliveredExactlyOnce(expected, sumo)
    assertDeliveredExactlyOnce(expected, hook)
    const esExpected = new Set([...expected].map((id) => stableEventId('ChatGPT Compliance', id)))
    assertDeliveredExactlyOnce(esExpected, es)
    expect(hec.violations).toEqual([])
    expect(es.violations).toEqual([])
    expect(sumo.violations).toEqual([])
    expect(hook.violations).toEqual([])
    await new Promise((r) => setTimeout(r, 1500))
    const files = await fs.readdir(dir)
    console.log(files)
    await Promise.all([hec.close(), es.close(), sumo.close(), hook.close()])
    await fs.rm(dir, { recursive: true, force: true })
  })
})
