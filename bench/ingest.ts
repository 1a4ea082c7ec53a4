// `npm run bench:ingest`: end-to-end ingestion throughput — the fake Logs Platform on loopback →
// the real service process → Postgres — next to raw baselines measured in the same run on the same
// bytes: download each file and COPY it with psql into a table like `events`
// (bench/lib/ingest-baseline.ts). Goal: the service on Postgres reaches ≥ 50% of the events/s of the
// baseline whose event_id/type/timestamp are generated columns; the one-parse and raw-text baselines
// show how much headroom is left.
//
// Env: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres; each leg gets a fresh
// database), BENCH_EVENTS (default 200000), BENCH_EVENTS_PER_FILE (default 5000), BENCH_BASELINES
// (default generated,one-parse,raw), BENCH_PGLITE
// ("off" skips the embedded-PGlite service leg), BENCH_PROFILE=1 (CPU profile of the Postgres service
// leg, summarised at the end; it slows the service down, so the figures of that run are not comparable),
// BENCH_NODE_ARGS (extra node flags for the service, e.g. "--max-semi-space-size=64").
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startFakeCompliance } from '../test/fakes/chatgpt/index.js'
import { BASELINE_LABELS, type BaselineResult, type BaselineVariant, runCopyBaseline } from './lib/ingest-baseline.js'
import { BENCH_TYPES, publishBenchData } from './lib/ingest-data.js'
import { summariseProfile } from './lib/ingest-profile.js'
import { runServiceLeg, type ServiceResult } from './lib/ingest-service.js'
import { machine, progress, table } from './lib/report.js'

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000)
const EVENTS_PER_FILE = Number(process.env.BENCH_EVENTS_PER_FILE ?? 5000)
const WITH_PGLITE = process.env.BENCH_PGLITE !== 'off'
const PROFILE = process.env.BENCH_PROFILE === '1'
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)
const BASELINES = (process.env.BENCH_BASELINES ?? 'generated,one-parse,raw').split(',') as BaselineVariant[]
if (!BASELINES.includes('generated') || BASELINES.some((b) => !(b in BASELINE_LABELS))) {
  throw new Error(`BENCH_BASELINES must list "generated" and may add "one-parse" and "raw", got ${process.env.BENCH_BASELINES}`)
}

const started = Date.now()
progress(`machine: ${machine()}`)
const fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
try {
  const data = await publishBenchData(fake, EVENTS, EVENTS_PER_FILE)
  const mib = data.bytes / 2 ** 20
  progress(`published ${data.files.length} files, ${data.events} events, ${mib.toFixed(0)} MiB (${Math.round(data.bytes / data.events)} bytes/event) on the fake at ${fake.baseUrl}`)

  const baselines = new Map<BaselineVariant, BaselineResult>()
  for (const variant of BASELINES) {
    progress(`baseline ${variant}: download + psql COPY into a table like events`)
    const result = await runCopyBaseline(variant, fake, data.files, POSTGRES_URL, (done) => {
      if (done % 10 === 0 || done === data.files.length) progress(`baseline ${variant}: ${done}/${data.files.length} files`)
    })
    if (result.events !== data.events) throw new Error(`baseline ${variant} stored ${result.events} rows, expected ${data.events}`)
    progress(`baseline ${variant}: ${Math.round(result.events / result.seconds)} events/s in ${result.seconds.toFixed(1)} s`)
    baselines.set(variant, result)
  }
  const baseline = baselines.get('generated')!

  const enabledEventType = BENCH_TYPES.map((t) => t.short)
  const legs: { database: string; result: ServiceResult }[] = []
  const profileDir = PROFILE ? await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-bench-prof-')) : undefined
  for (const database of WITH_PGLITE ? ['postgres', 'pglite'] : ['postgres']) {
    progress(`service on ${database}: starting`)
    const result = await runServiceLeg({
      fake,
      serverUrl: database === 'postgres' ? POSTGRES_URL : null,
      enabledEventType,
      expectedEvents: data.events,
      nodeArgs: NODE_ARGS,
      ...(database === 'postgres' && profileDir ? { profileDir } : {}),
      onProgress: (line) => progress(`service on ${database}: ${line}`),
    })
    if (result.events !== data.events) throw new Error(`the service on ${database} stored ${result.events} events, expected ${data.events}`)
    progress(`service on ${database}: ${Math.round(result.events / result.seconds)} events/s in ${result.seconds.toFixed(1)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`)
    legs.push({ database, result })
  }

  const baseRate = baseline.events / baseline.seconds
  const rows: (string | number)[][] = [
    ...[...baselines].map(([variant, b]) => {
      const rate = b.events / b.seconds
      return [BASELINE_LABELS[variant], 'postgres', b.events, b.seconds.toFixed(1), Math.round(rate), (mib / b.seconds).toFixed(1), (rate / baseRate).toFixed(2), '-']
    }),
    ...legs.map(({ database, result: r }) => {
      const rate = r.events / r.seconds
      return [`openc2c service${PROFILE && database === 'postgres' ? ' (profiled)' : ''}`, database, r.events, r.seconds.toFixed(1), Math.round(rate), (mib / r.seconds).toFixed(1), (rate / baseRate).toFixed(2), `${r.peakRssMiB.toFixed(0)} (idle ${r.idleRssMiB.toFixed(0)})`]
    }),
  ]
  process.stdout.write(`\nbench:ingest — ${machine()}\n`)
  process.stdout.write(
    `${data.files.length} files, ${data.events} events, ${mib.toFixed(0)} MiB, ${BENCH_TYPES.length} event types; fake on loopback in this process; Postgres ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')}` +
      `${NODE_ARGS.length ? `; service node flags: ${NODE_ARGS.join(' ')}` : ''}\n\n`,
  )
  process.stdout.write(`${table(['pipeline', 'database', 'events', 'seconds', 'events/s', 'MiB/s', 'ratio to baseline', 'service peak RSS MiB'], rows)}\n`)
  const postgres = legs.find((l) => l.database === 'postgres')!.result
  const ratio = postgres.events / postgres.seconds / baseRate
  process.stdout.write(`\ngoal: the service on Postgres ≥ 50% of the baseline's events/s: ${(ratio * 100).toFixed(0)}% — ${ratio >= 0.5 ? 'met' : 'NOT met'}\n`)
  for (const [variant, b] of baselines) {
    if (variant !== 'generated') process.stdout.write(`  (against "${BASELINE_LABELS[variant]}": ${((100 * postgres.events) / postgres.seconds / (b.events / b.seconds)).toFixed(0)}%)\n`)
  }
  if (ratio < 0.5 && !PROFILE) process.stdout.write('rerun with BENCH_PROFILE=1 for a CPU profile of the service\n')

  if (postgres.profile) {
    const summary = await summariseProfile(postgres.profile)
    const fmt = (list: [string, number][]) => list.map(([k, ms]) => [k, Math.round(ms), `${((100 * ms) / summary.totalMs).toFixed(1)}%`])
    process.stdout.write(`\nCPU profile of the service (Postgres leg, main thread, ${(summary.totalMs / 1000).toFixed(1)} s sampled): ${postgres.profile}\n\n`)
    process.stdout.write(`${table(['self time by function', 'ms', 'share'], fmt(summary.selfByFunction))}\n\n`)
    process.stdout.write(`${table(['self time by module', 'ms', 'share'], fmt(summary.selfByModule))}\n\n`)
    process.stdout.write(`${table(['inclusive time by module', 'ms', 'share'], fmt(summary.inclusiveByModule))}\n`)
  }
} finally {
  await fake.close()
}
progress(`done in ${Math.round((Date.now() - started) / 1000)} s`)
