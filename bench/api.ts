// `npm run bench:api`: HTTP throughput of the Collector Management API on embedded PGlite and on
// Postgres, next to a bare Fastify route that returns the same JSON, all measured in this run.
// The service and the baseline each run in their own process (as `npm start` runs it); autocannon
// runs here. Env: BENCH_DURATION (seconds per scenario, default 10), BENCH_CONNECTIONS (default 10),
// BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres; "off" to skip).
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import autocannon from 'autocannon'
import pg from 'pg'
import { startService, type RunningService, ROOT } from '../test/helpers/service.js'
import { chatGptSourceBody, collectorBody } from '../test/helpers/fixtures.js'
import { machine, progress, table } from './lib/report.js'

const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const LIST_SIZE = 20

interface Result {
  scenario: string
  database: string
  rps: number
  p50: number
  p99: number
  non2xx: number
  /** CPU time the server process spent per request served (µs), or undefined without /proc. */
  cpuPerRequest: number | undefined
}

/** User + system CPU seconds of a process so far (Linux /proc), or undefined elsewhere. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th, in clock ticks (100 per second).
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/**
 * One scenario. Besides req/s, the server's CPU time per request: on two cores the load generator and
 * the server share the machine, so req/s moves with the load generator too, while CPU per request is
 * the server's own cost.
 */
async function measure(label: string, serverPid: number | undefined, options: autocannon.Options): Promise<autocannon.Result & { cpuPerRequest: number | undefined }> {
  progress(`${label}: ${DURATION} s, ${CONNECTIONS} connections`)
  const cpuBefore = await cpuSeconds(serverPid)
  const result = await autocannon({ duration: DURATION, connections: CONNECTIONS, ...options })
  const cpuAfter = await cpuSeconds(serverPid)
  const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0 ? undefined : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total
  progress(`${label}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${cpuPerRequest?.toFixed(1) ?? '-'} µs CPU per request`)
  return { ...result, cpuPerRequest }
}

function toResult(scenario: string, database: string, r: Awaited<ReturnType<typeof measure>>): Result {
  return { scenario, database, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, cpuPerRequest: r.cpuPerRequest }
}

async function postgresReachable(): Promise<boolean> {
  if (POSTGRES_URL === 'off') return false
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  try {
    await client.connect()
    await client.end()
    return true
  } catch {
    return false
  }
}

async function api(service: RunningService, method: string, url: string, body?: unknown) {
  const res = await fetch(`${service.baseUrl}${url}`, {
    method,
    headers: { authorization: service.authorization, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${await res.text()}`)
  return res.json() as Promise<any>
}

async function benchService(database: 'pglite' | 'postgres'): Promise<{ results: Result[]; sampleBody: string }> {
  progress(`starting the service on ${database}`)
  const service = await startService({ serverUrl: database === 'postgres' ? POSTGRES_URL : null, env: { OPENC2C_SCHEDULER: 'off' } })
  try {
    const collector = (await api(service, 'POST', '/api/v1/collectors', collectorBody('bench'))).collector
    let source: any
    for (let i = 0; i < LIST_SIZE; i++) {
      source = (await api(service, 'POST', `/api/v1/collectors/${collector.id}/sources`, chatGptSourceBody({}, { name: `bench-${i}` }))).source
    }
    const headers = { authorization: service.authorization, 'content-type': 'application/json' }
    const one = `${service.baseUrl}/api/v1/collectors/${collector.id}/sources/${source.id}`
    const sampleBody = JSON.stringify(await api(service, 'GET', `/api/v1/collectors/${collector.id}/sources/${source.id}`))
    const results: Result[] = []
    const record = (scenario: string, r: Awaited<ReturnType<typeof measure>>) => results.push(toResult(scenario, database, r))
    const pid = service.child.pid

    record('get one source', await measure(`${database} get one source`, pid, { url: one, headers }))
    record(`list ${LIST_SIZE} sources`, await measure(`${database} list sources`, pid, { url: `${service.baseUrl}/api/v1/collectors/${collector.id}/sources`, headers }))
    let n = 0
    record(
      'create a source',
      await measure(`${database} create source`, pid, {
        url: `${service.baseUrl}/api/v1/collectors/${collector.id}/sources`,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify(chatGptSourceBody({}, { name: `created-${n++}` })) }) }],
      }),
    )
    return { results, sampleBody }
  } finally {
    await service.destroy()
  }
}

async function benchBare(body: string): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/bare-server.ts'), body], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))
      child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
    })
    const r = await measure('bare Fastify route', child.pid, { url: `${address}/bare` })
    return toResult('bare Fastify route, same JSON', '-', r)
  } finally {
    child.kill('SIGTERM')
  }
}

const started = Date.now()
progress(`machine: ${machine()}`)
const results: Result[] = []
const pglite = await benchService('pglite')
results.push(...pglite.results)
if (await postgresReachable()) results.push(...(await benchService('postgres')).results)
else progress(`Postgres at ${POSTGRES_URL} is not reachable; skipping the Postgres leg`)
const bare = await benchBare(pglite.sampleBody)
results.push(bare)

const rows = results.map((r) => [
  r.scenario,
  r.database,
  Math.round(r.rps),
  r.p50,
  r.p99,
  r === bare ? '1.00 (baseline)' : (r.rps / bare.rps).toFixed(2),
  r.cpuPerRequest?.toFixed(1) ?? '-',
  r.non2xx,
])
process.stdout.write(`\nbench:api — ${machine()}\n${DURATION} s per scenario, ${CONNECTIONS} connections, autocannon in this process, server in its own\n\n`)
process.stdout.write(`${table(['scenario', 'database', 'req/s', 'p50 ms', 'p99 ms', 'ratio to bare', 'server CPU µs/request', 'non-2xx'], rows)}\n`)
const goal = results.find((r) => r.scenario === 'get one source' && r.database === 'postgres')
if (goal) {
  const ratio = goal.rps / bare.rps
  process.stdout.write(`\ngoal: get one source on Postgres ≥ 50% of the bare route: ${(ratio * 100).toFixed(0)}% — ${ratio >= 0.5 ? 'met' : 'NOT met'}\n`)
}
progress(`done in ${Math.round((Date.now() - started) / 1000)} s`)
