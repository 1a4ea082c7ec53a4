// The Postgres change feed notices a half-open listening connection (the server stops answering,
// nothing closes the socket) through its heartbeat: it reports a gap, turns unhealthy so caches
// stop serving, and reconnects. The half-open connection is a TCP proxy that stops forwarding.
// Postgres only: on PGlite notifications are in-process.
import net from 'node:net'
import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PostgresChangeFeed } from '../../../api/store/change-feed.js'
import { createTestDatabaseLocation, usingPostgres } from '../../helpers/db.js'

/** Forwards TCP to `target`; freeze() makes every connection open so far silently drop traffic. */
async function startProxy(target: URL) {
  const live = new Set<{ frozen: boolean }>()
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const state = { frozen: false }
    live.add(state)
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (chunk) => state.frozen || upstream.write(chunk))
    upstream.on('data', (chunk) => state.frozen || client.write(chunk))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    freeze() {
      for (const state of live) state.frozen = true
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn()
  cleanup = []
})

describe.skipIf(!usingPostgres)('PostgresChangeFeed', () => {
  it('a listening connection that stops answering is detected by the heartbeat: gap, unhealthy, reconnect', async () => {
    const location = await createTestDatabaseLocation()
    cleanup.push(() => location.cleanup())
    const target = new URL(location.databaseUrl!)
    const proxy = await startProxy(target)
    cleanup.push(() => proxy.close())
    const viaProxy = new URL(target)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)

    const channel = 'feed_heartbeat_test'
    // A short heartbeat for the test; the service's default is 30 s.
    const feed = await PostgresChangeFeed.start(viaProxy.toString(), channel, undefined, { everyMs: 50, timeoutMs: 300 })
    cleanup.push(() => feed.close())
    const changes: string[] = []
    let gaps = 0
    feed.subscribe(
      (payload) => changes.push(payload),
      () => gaps++,
    )
    expect(feed.healthy).toBe(true)

    proxy.freeze()
    await vi.waitFor(() => expect(feed.healthy).toBe(false), { timeout: 10_000, interval: 20 })
    expect(gaps).toBeGreaterThanOrEqual(1)

    // New connections pass: the feed reconnects, reports the gap of its outage, and delivers again.
    const gapsWhileDown = gaps
    await vi.waitFor(() => expect(feed.healthy).toBe(true), { timeout: 15_000, interval: 50 })
    expect(gaps).toBeGreaterThan(gapsWhileDown)
    const notifier = new pg.Client({ connectionString: target.toString() })
    await notifier.connect()
    cleanup.push(() => notifier.end())
    await vi.waitFor(
      async () => {
        await notifier.query(`select pg_notify('${channel}', '42')`)
        expect(changes).toContain('42')
      },
      { timeout: 10_000, interval: 100 },
    )
  })
})
