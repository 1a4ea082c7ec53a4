// The raw baseline of `npm run bench:deliver`: the very bodies the service sends to a kind, built
// beforehand (outside the timing) by the kind's own sender over batches cut as the delivery loop cuts
// them, then POSTed by a minimal client, one at a time as the service sends them, to a fresh fake
// receiver. What the service adds on top is reading the store, building the bodies, and committing
// each batch's cursor.
import http from 'node:http'
import pino from 'pino'
import type { DestinationKind, OutgoingEvent } from '../../api/destinations/destination-kind.js'
import { HttpClient } from '../../api/shared/http-client.js'

export interface BuiltRequest {
  url: string
  headers: Record<string, string>
  body: Buffer
}

/**
 * Runs the kind's sender against a capturing client: every request it would send is kept, and
 * answered as its receiver answers a success.
 */
export async function buildRequests(kind: DestinationKind, config: Record<string, unknown>, batches: OutgoingEvent[][], success: (url: string) => string): Promise<BuiltRequest[]> {
  const built: BuiltRequest[] = []
  const http = new HttpClient({
    signal: new AbortController().signal,
    timeouts: { headersMs: 60_000, bodyIdleMs: 60_000 },
    retry: { baseMs: 1, capMs: 1, attempts: 1, maxRetryAfterMs: 1, maxThrottledWaits: 0 },
    giveUp: (error) => error,
  })
  http.send = async (_route, url, send = {}) => {
    built.push({ url, headers: send.headers ?? {}, body: Buffer.from(send.body ?? '') })
    return new Response(success(url), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const sender = await kind.createSender(config as never, { destinationId: 1, http, signal: new AbortController().signal, logger: pino({ level: 'silent' }), kindState: undefined })
  for (const events of batches) await sender.send({ destinationId: 1, batchId: 'bench', events })
  return built
}

/** POSTs the requests one after another on a keep-alive connection; resolves with the seconds it took. */
export async function postAll(requests: BuiltRequest[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const started = process.hrtime.bigint()
  for (const r of requests) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(r.url, { method: 'POST', agent, headers: { ...r.headers, 'content-length': String(r.body.length) } }, (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`baseline POST answered ${res.statusCode}`))))
      })
      req.on('error', reject)
      req.end(r.body)
    })
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  agent.destroy()
  return seconds
}
