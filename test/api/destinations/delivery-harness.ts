// What the delivery tests share: an in-process service with its scheduler on and fast delivery timings,
// sources that collect from the fake Compliance API, and the destination API as a test reads it
// (create, wait for a state, metrics, dead letters, update, restart, replay).
import fs from 'node:fs/promises'
import { sql } from 'kysely'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import { createLogger } from '../../../api/logger.js'
import { buildService, type Service } from '../../../api/service.js'
import type { ComplianceEventType } from '../../fakes/chatgpt/index.js'
import type { HttpMethod } from '../../helpers/app.js'
import { type Collecting, startCollecting } from '../../helpers/collecting.js'

/**
 * Fast delivery: idle polls and ack polls every 50 ms, no lingering, millisecond retries, and
 * batches of 10 events so that a few dozen events make several batches.
 */
export const FAST_DELIVERY_ENV: Record<string, string> = {
  OPENC2C_DELIVERY_POLL_MS: '50',
  OPENC2C_DELIVERY_LINGER_MS: '0',
  OPENC2C_DELIVERY_ACK_POLL_MS: '50',
  OPENC2C_UPSTREAM_RETRY_BASE_MS: '5',
  OPENC2C_DELIVERY_TIMEOUT_MS: '400',
  OPENC2C_DELIVERY_ACK_TIMEOUT_SECONDS: '1',
  OPENC2C_DELIVERY_BATCH_EVENTS: '10',
}

/** `files` log files of `perFile` events each, every event `bytesPerEvent` long if given. */
export interface FilesToPublish {
  files: number
  perFile: number
  bytesPerEvent?: number
}

export interface CollectedSource {
  sourceId: number
  /** The upstream event ids the source stored. */
  ids: Set<string>
}

export interface DestinationBody {
  name?: string
  type: string
  config: Record<string, unknown>
  filter?: Record<string, unknown>
  enabled?: boolean
}

export interface DeliveryHarness {
  c: Collecting
  /** The service now running (a new one after restartService). */
  readonly service: Service
  /** An API request to the service now running, with the test credentials. */
  request(method: HttpMethod, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  /**
   * Stops the service (its deliveries end, as on a shutdown) and starts a new one on the same
   * database, data directory and config: what it knows, it reads from the database. `whileStopped`
   * runs in between (to leave what a crash would).
   */
  restartService(whileStopped?: () => Promise<void>): Promise<void>
  /** A source's stored event ids in seq order: the order delivery sends them in. */
  idsInSeqOrder(sourceId: number): Promise<string[]>
  /**
   * Publishes files of `fakeType` events and collects them with a new source that reads
   * only that type. Each type serves one source: a second source of it would collect the first's events too.
   */
  collect(fakeType: ComplianceEventType, files: FilesToPublish | FilesToPublish[], config?: Record<string, unknown>): Promise<CollectedSource>
  createDestination(body: DestinationBody): Promise<number>
  /** The destination as GET shows it. */
  destination(id: number): Promise<any>
  /** Polls GET until `check` holds; returns that view. */
  waitForDestination(id: number, check: (d: any) => boolean, what: string, timeoutMs?: number): Promise<any>
  /** Everything matching delivered (or dead-lettered), no failure counted, state Delivering. */
  waitCaughtUp(id: number, timeoutMs?: number): Promise<any>
  metrics(): Promise<Metrics>
  /** Every dead letter, all pages read. */
  deadLetters(id: number): Promise<any[]>
  /** PUT with the destination as stored, changed by `change`, and its ETag. */
  replace(id: number, change: (d: any) => Record<string, unknown>): Promise<any>
  restart(id: number): Promise<void>
  replay(id: number, body: Record<string, unknown>): Promise<void>
  remove(id: number): Promise<void>
  close(): Promise<void>
}

let counter = 0

export async function startDeliveryHarness(env: Record<string, string> = {}): Promise<DeliveryHarness> {
  const c = await startCollecting({ env: { ...FAST_DELIVERY_ENV, ...env } })
  const path = (id: number) => `/api/v1/destinations/${id}`
  let service = c.t.service
  let restarted = false
  const request: DeliveryHarness['request'] = (method, url, body, headers = {}) =>
    service.app.inject({
      method,
      url,
      headers: { authorization: c.t.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    })
  const h: DeliveryHarness = {
    c,
    get service() {
      return service
    },
    request,
    async restartService(whileStopped) {
      await service.stop()
      restarted = true
      await whileStopped?.()
      const next = await buildService(service.config, { database: c.t.testDatabase.database, logger: createLogger({ logLevel: service.config.logLevel }), print: () => {} })
      await next.app.ready()
      next.scheduler?.start()
      next.deliveries?.start()
      next.retention?.start()
      service = next
    },
    async idsInSeqOrder(sourceId) {
      const rows = await sql<{ event_id: string }>`select event_id from events where source_id = ${sourceId} order by seq`.execute(service.database.db)
      return rows.rows.map((r) => r.event_id)
    },
    async collect(fakeType, files, config = {}) {
      if (c.fake.files(fakeType).length > 0) throw new Error(`${fakeType} already serves a source`)
      for (const f of Array.isArray(files) ? files : [files]) c.fake.addGeneratedFiles(fakeType, f.files, f.perFile, f.bytesPerEvent !== undefined ? { bytesPerEvent: f.bytesPerEvent } : {})
      const ids = c.fake.expectedEventIds(fakeType)
      const sourceId = await c.createSource({ enabledEventType: [fakeType.replace(/_LOG$/, '')], ...config })
      const run = await c.waitForRun(sourceId)
      expect(run.status, JSON.stringify(run)).toBe('succeeded')
      const stored = await c.storedEventIds(sourceId)
      expect(stored.rows).toBe(ids.size)
      return { sourceId, ids }
    },
    async createDestination(body) {
      const res = await request('POST', '/api/v1/destinations', { destination: { name: body.name ?? `dest-${++counter}`, ...body } })
      expect(res.statusCode, res.body).toBe(201)
      return res.json().destination.id
    },
    async destination(id) {
      const res = await request('GET', path(id))
      expect(res.statusCode, res.body).toBe(200)
      return res.json().destination
    },
    async waitForDestination(id, check, what, timeoutMs = 20_000) {
      let last: any
      try {
        await c.waitFor(
          async () => {
            last = await h.destination(id)
            return check(last)
          },
          what,
          timeoutMs,
        )
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify({ state: last?.state, delivery: last?.delivery })}`)
      }
      return last
    },
    waitCaughtUp(id, timeoutMs) {
      return h.waitForDestination(
        id,
        (d) => d.delivery.lagEvents === 0 && d.state.state === 'Delivering' && d.delivery.consecutiveFailures === 0,
        `destination ${id} caught up and Delivering`,
        timeoutMs,
      )
    },
    async metrics() {
      const res = await request('GET', '/metrics')
      expect(res.statusCode).toBe(200)
      return parseMetrics(res.body)
    },
    async deadLetters(id) {
      const letters: any[] = []
      let after: string | null = null
      do {
        const res = await request('GET', `${path(id)}/deadLetters?limit=2${after ? `&after=${after}` : ''}`)
        expect(res.statusCode, res.body).toBe(200)
        letters.push(...res.json().deadLetters)
        after = res.json().next
      } while (after !== null)
      return letters
    },
    async replace(id, change) {
      const got = await request('GET', path(id))
      const current = got.json().destination
      const body = { name: current.name, type: current.type, enabled: current.enabled, config: current.config, filter: current.filter, ...change(current) }
      const res = await request('PUT', path(id), { destination: body }, { 'if-match': String(got.headers.etag) })
      expect(res.statusCode, res.body).toBe(200)
      return res.json().destination
    },
    async restart(id) {
      const res = await request('POST', `${path(id)}/action/restart`)
      expect(res.statusCode, res.body).toBe(200)
    },
    async replay(id, body) {
      const res = await request('POST', `${path(id)}/action/replay`, body)
      expect(res.statusCode, res.body).toBe(202)
    },
    async remove(id) {
      const res = await request('DELETE', path(id))
      expect(res.statusCode, res.body).toBe(200)
    },
    async close() {
      if (!restarted) return c.close()
      // The first service is stopped already; stop its successor, then free what startCollecting made.
      await service.stop()
      await c.t.testDatabase.close()
      await fs.rm(service.config.dataDir, { recursive: true, force: true })
      await c.fake.close()
    },
  }
  return h
}

export interface Metrics {
  /** The sample of `name` whose labels include every one given, or undefined. */
  value(name: string, labels: Record<string, string>): number | undefined
}

/** Prometheus' text format, read just enough for tests: `name{a="b",…} value` lines. */
export function parseMetrics(text: string): Metrics {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1')
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return {
    value(name, labels) {
      const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`)
      return found[0]?.value
    },
  }
}

/** Polls `check` every 20 ms until it holds. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Waits `ms` and returns: for "nothing happens in the meantime" checks. */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
