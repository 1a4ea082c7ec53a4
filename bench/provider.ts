// `npm run bench:provider`: what the openc2c Terraform provider costs next to Terraform's built-in
// terraform_data, measured in the same run on the same machine.
//
//   1. provider start: spawn → go-plugin handshake line (AutoMTLS, as Terraform launches it) with the
//      resident host running, for the launch that finds none (it serves itself and starts the host), and
//      with the host off, next to a bare `node -e 0`
//   2. plan / apply / no-op plan / destroy wall time for 1 and for 100 ChatGPT Compliance sources (plus
//      their collector), with Terraform launching the provider from a filesystem mirror (what users run):
//      with the host running (the usual case), with a new host per command (a command after the host went
//      idle), with the host off, and with Terraform's plugin TLS off (to show what AutoMTLS costs); and in
//      reattach mode (one long-lived provider, what the e2e tests use)
//   3. the same commands for the same number of terraform_data resources; the ratio is printed
//
// Goal: at most 3× terraform_data for 100 sources. Env: BENCH_REPEAT (runs per command, default 5; the
// median is reported), BENCH_LAUNCHES (handshake samples, default 20), BENCH_SIZES (default "1,100"),
// TEST_DATABASE_URL (service on Postgres instead of PGlite), BENCH_PROVIDER_DIR (benchmark an existing
// build folder, holding terraform-provider-openc2c and mirror/, instead of building one), BENCH_BEFORE_DIR
// (a build folder of an earlier commit, e.g. `git worktree add /tmp/before <commit> && cd /tmp/before &&
// npm ci && npm run build:provider -- --out /tmp/before-build`: measured as one more launch-mode variant in
// the same rounds, for a before/after figure that machine load cannot skew; it must have this build's
// provider version, which the mirror layout and the workspace's lock file name).
//
// Fairness: both variants run with Terraform's default parallelism (10), in fresh working directories on
// the same service, and the rounds alternate between variants so load changes on the shared machine hit
// all of them alike; the load average is printed next to the figures.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildProvider } from '../provider/packaging/bundle.js'
import { PROVIDER_VERSION } from '../provider/version.js'
import { startService, type RunningService } from '../test/helpers/service.js'
import { launchProvider } from '../test/provider/helpers/plugin-client.js'
import { startReattachedProvider, TerraformWorkspace, TERRAFORM, type ReattachedProvider } from '../test/provider/helpers/terraform.js'
import type { BuiltProvider } from '../test/provider/helpers/built-provider.js'
import { machine, progress, table } from './lib/report.js'

const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 20)
const SIZES = (process.env.BENCH_SIZES ?? '1,100').split(',').map(Number)
let BEFORE: BuiltProvider | undefined
const COMMANDS = ['plan', 'apply', 'no-op plan', 'destroy'] as const
type Command = (typeof COMMANDS)[number]
type Variant =
  | 'terraform_data'
  | 'openc2c (launch)'
  | 'openc2c (launch, new host)'
  | 'openc2c (launch, no host)'
  | 'openc2c (launch, plugin TLS off)'
  | 'openc2c (reattach)'
  | 'earlier build (launch)'

// The launch variants (provider/host/): "launch" is the default, launches served by a resident host that
// is already running (the usual case within a command and for commands run back to back; on Linux the
// file's shell line gets them served without starting Node, host/shell-launch.ts); "new host" runs
// every command with a variable no other command has, so its first launch starts a fresh host (a command
// after the host went idle); "no host" runs every launch in its own process (OPENC2C_PROVIDER_HOST=off).
// "plugin TLS off" is the default with TF_DISABLE_PLUGIN_TLS=1: not something to run, but it shows what
// AutoMTLS costs per launch (Terraform's client certificate, the handshake), which terraform_data never pays.
const HOST_OFF = { OPENC2C_PROVIDER_HOST: 'off' }
const PLUGIN_TLS_OFF = { TF_DISABLE_PLUGIN_TLS: '1' }
let hostGeneration = 0
/** A variable no earlier launch had: the host for these settings does not exist yet. Short idle, so the
 * hosts this leaves behind go away soon after the bench. */
const freshHostEnv = (): NodeJS.ProcessEnv => ({ OPENC2C_BENCH_HOST: `${process.pid}-${++hostGeneration}`, OPENC2C_PROVIDER_HOST_IDLE_SECONDS: '3' })
/** Each command's extra variables, for the variants that have any. */
const COMMAND_ENV: Partial<Record<Variant, () => NodeJS.ProcessEnv>> = {
  'openc2c (launch, new host)': freshHostEnv,
  'openc2c (launch, no host)': () => HOST_OFF,
  'openc2c (launch, plugin TLS off)': () => PLUGIN_TLS_OFF,
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const percentile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] as number
const seconds = (ms: number): string => (ms / 1000).toFixed(2)

function openc2cConfig(sources: number): string {
  return `terraform {
  required_providers {
    openc2c = { source = "openc2c/openc2c" }
  }
}
provider "openc2c" {}
resource "openc2c_collector" "bench" {
  name = "bench-collector"
}
resource "openc2c_chatgpt_compliance_source" "bench" {
  count        = ${sources}
  collector_id = openc2c_collector.bench.id
  name         = "source-\${count.index}"
  workspace_id = "ws-bench"
  api_key      = "sk-bench"
  event_types  = ["CONVERSATION", "AUDIT"]
}
`
}

function terraformDataConfig(sources: number): string {
  return `resource "terraform_data" "collector" {
  input = { name = "bench-collector" }
}
resource "terraform_data" "source" {
  count = ${sources}
  input = {
    collector_id = terraform_data.collector.id
    name         = "source-\${count.index}"
    workspace_id = "ws-bench"
    event_types  = ["CONVERSATION", "AUDIT"]
  }
}
`
}

async function nodeStartMs(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env })
  await once(child, 'exit')
  return performance.now() - started
}

async function handshakeMs(provider: BuiltProvider, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const plugin = await launchProvider(provider.executable, { env })
  await plugin.shutdown()
  return plugin.handshakeMs
}

// Node 20 reads NODE_EXTRA_CA_CERTS at every start (the provider's launcher moves it aside, see
// provider/packaging/executable.ts), so with it set, bare Node is timed with and without it.
const EXTRA_CA = Boolean(process.env.NODE_EXTRA_CA_CERTS)

async function measureHandshakes(
  provider: BuiltProvider,
  before: BuiltProvider | undefined,
): Promise<{ handshake: number[]; newHost: number[]; noHost: number[]; before: number[]; node: number[]; nodeWithoutExtraCa: number[] }> {
  const handshake: number[] = []
  const newHost: number[] = []
  const noHost: number[] = []
  const earlier: number[] = []
  const node: number[] = []
  const nodeWithoutExtraCa: number[] = []
  await handshakeMs(provider) // starts the host the first series uses
  for (let i = 0; i < LAUNCHES; i++) {
    handshake.push(await handshakeMs(provider))
    newHost.push(await handshakeMs(provider, freshHostEnv()))
    noHost.push(await handshakeMs(provider, HOST_OFF))
    if (before) earlier.push(await handshakeMs(before))
    node.push(await nodeStartMs())
    if (EXTRA_CA) nodeWithoutExtraCa.push(await nodeStartMs({ ...process.env, NODE_EXTRA_CA_CERTS: '' }))
    if ((i + 1) % 5 === 0) progress(`handshake: ${i + 1}/${LAUNCHES} launches, median so far ${Math.round(median(handshake))} ms`)
  }
  return { handshake, newHost, noHost, before: earlier, node, nodeWithoutExtraCa }
}

/** A row of the provider-start table: label, median, p95, sample count. */
function startRow(label: string, samples: number[]): Array<string | number> {
  return [label, `${Math.round(median(samples))} ms`, `${Math.round(percentile(samples, 0.95))} ms`, samples.length]
}

interface Lifecycle {
  variant: Variant
  sources: number
  workspace: TerraformWorkspace
  reattach: ReattachedProvider | undefined
  /** Extra variables for each command. */
  commandEnv: () => NodeJS.ProcessEnv
  times: Record<Command, number[]>
}

async function prepareLifecycle(variant: Variant, sources: number, provider: BuiltProvider, service: RunningService): Promise<Lifecycle> {
  const reattach = variant === 'openc2c (reattach)' ? await startReattachedProvider(provider, service) : undefined
  const workspace = await TerraformWorkspace.create({
    provider: variant === 'earlier build (launch)' && BEFORE ? BEFORE : provider,
    service,
    files: { 'main.tf': variant === 'terraform_data' ? terraformDataConfig(sources) : openc2cConfig(sources) },
    ...(reattach && { reattach }),
  })
  await workspace.expect(['init'], 0)
  const commandEnv = COMMAND_ENV[variant] ?? (() => ({}))
  return { variant, sources, workspace, reattach, commandEnv, times: { plan: [], apply: [], 'no-op plan': [], destroy: [] } }
}

/** One plan / apply / no-op plan / destroy cycle. */
async function runCycle(lifecycle: Lifecycle, run: number): Promise<void> {
  const { workspace: ws, times, commandEnv } = lifecycle
  times.plan.push((await ws.expect(['plan', '-detailed-exitcode'], 2, commandEnv())).ms)
  times.apply.push((await ws.expect(['apply', '-auto-approve'], 0, commandEnv())).ms)
  times['no-op plan'].push((await ws.expect(['plan', '-detailed-exitcode'], 0, commandEnv())).ms)
  times.destroy.push((await ws.expect(['destroy', '-auto-approve'], 0, commandEnv())).ms)
  progress(
    `${lifecycle.variant}, ${lifecycle.sources} source(s), run ${run}/${REPEAT}: ` +
      COMMANDS.map((c) => `${c} ${seconds(times[c][times[c].length - 1] as number)} s`).join(', '),
  )
}

async function main(): Promise<void> {
  if (!TERRAFORM) throw new Error('bench:provider needs the terraform CLI on PATH')
  progress(`machine: ${machine()}`)
  const buildDir = await mkdtemp(join(tmpdir(), 'openc2c-bench-provider-'))
  let provider: BuiltProvider
  if (process.env.BENCH_PROVIDER_DIR) {
    // An earlier build (e.g. a copy of provider/dist from another commit), for before/after comparisons.
    await cp(process.env.BENCH_PROVIDER_DIR, buildDir, { recursive: true })
    provider = { dir: buildDir, executable: join(buildDir, 'terraform-provider-openc2c'), mirrorDir: join(buildDir, 'mirror'), version: PROVIDER_VERSION }
    progress(`using the build copied from ${process.env.BENCH_PROVIDER_DIR}`)
  } else {
    progress('building the provider (esbuild, single file)')
    const build = await buildProvider({ outDir: buildDir })
    provider = { dir: buildDir, executable: build.executable, mirrorDir: build.mirrorDir, version: PROVIDER_VERSION }
    progress(`built ${(build.bytes / 1024).toFixed(0)} KiB`)
  }

  if (process.env.BENCH_BEFORE_DIR) {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-bench-before-'))
    await cp(process.env.BENCH_BEFORE_DIR, dir, { recursive: true })
    BEFORE = { dir, executable: join(dir, 'terraform-provider-openc2c'), mirrorDir: join(dir, 'mirror'), version: PROVIDER_VERSION }
    progress(`comparing with the earlier build copied from ${process.env.BENCH_BEFORE_DIR}`)
  }

  progress(`handshake: ${LAUNCHES} launches with AutoMTLS`)
  const launches = await measureHandshakes(provider, BEFORE)

  // The service's latency under Terraform's 10 parallel operations dominates apply and destroy (measured:
  // 100 source POSTs at concurrency 10 take ≈2.7 s on PGlite, ≈0.7 s on Postgres), so say which it was.
  const database = process.env.TEST_DATABASE_URL ? 'Postgres (TEST_DATABASE_URL)' : 'PGlite'
  progress(`starting the service (scheduler off, ${database})`)
  const service = await startService({ env: { OPENC2C_SCHEDULER: 'off' } })
  const results: Lifecycle[] = []
  const loadBefore = loadavg()[0] ?? 0
  try {
    for (const sources of SIZES) {
      const lifecycles: Lifecycle[] = []
      const variants: Variant[] = [
        'terraform_data',
        'openc2c (launch)',
        'openc2c (launch, new host)',
        'openc2c (launch, no host)',
        'openc2c (launch, plugin TLS off)',
        'openc2c (reattach)',
        ...(BEFORE ? (['earlier build (launch)'] as const) : []),
      ]
      for (const variant of variants) lifecycles.push(await prepareLifecycle(variant, sources, provider, service))
      // Runs alternate between the variants, so a load change on the machine hits all of them alike.
      progress(`${sources} source(s): ${REPEAT} rounds of plan / apply / no-op plan / destroy, variants alternating`)
      for (let run = 1; run <= REPEAT; run++) for (const lifecycle of lifecycles) await runCycle(lifecycle, run)
      for (const lifecycle of lifecycles) {
        await lifecycle.workspace.remove()
        await lifecycle.reattach?.stop()
      }
      results.push(...lifecycles)
    }
  } finally {
    await service.destroy()
    await rm(buildDir, { recursive: true, force: true })
    if (BEFORE) await rm(BEFORE.dir, { recursive: true, force: true })
  }
  const loadAfter = loadavg()[0] ?? 0

  console.log(`\n## Terraform provider (npm run bench:provider)\n\n${machine()}, terraform ${TERRAFORM}, service database ${database}`)
  console.log(`1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (other work on the machine makes figures noisy)\n`)
  console.log(
    table(
      ['provider start', 'median', 'p95', 'samples'],
      [
        startRow('spawn → handshake line (AutoMTLS), host running', launches.handshake),
        startRow('same, first launch: starts the host', launches.newHost),
        startRow('same, no host (OPENC2C_PROVIDER_HOST=off)', launches.noHost),
        ...(BEFORE ? [startRow('earlier build: spawn → handshake line', launches.before)] : []),
        startRow('bare `node -e 0` (baseline)', launches.node),
        ...(EXTRA_CA ? [startRow('bare `node -e 0` without NODE_EXTRA_CA_CERTS', launches.nodeWithoutExtraCa)] : []),
      ],
    ),
  )
  console.log(`\nWall seconds, median of ${REPEAT}; resources = sources + 1 collector (terraform_data: the same count).\n`)
  const rows: string[][] = []
  for (const sources of SIZES) {
    const baseline = results.find((r) => r.sources === sources && r.variant === 'terraform_data')!
    for (const result of results.filter((r) => r.sources === sources)) {
      rows.push([
        result.variant,
        String(sources),
        ...COMMANDS.map((c) => {
          const value = median(result.times[c])
          const ratio = result.variant === 'terraform_data' ? '' : ` (${(value / median(baseline.times[c])).toFixed(1)}×)`
          return `${seconds(value)}${ratio}`
        }),
      ])
    }
  }
  console.log(table(['variant', 'sources', ...COMMANDS.map((c) => `${c} s (× terraform_data)`)], rows))
  const largest = Math.max(...SIZES)
  const launch = results.find((r) => r.sources === largest && r.variant === 'openc2c (launch)')!
  const baseline = results.find((r) => r.sources === largest && r.variant === 'terraform_data')!
  const worst = Math.max(...COMMANDS.map((c) => median(launch.times[c]) / median(baseline.times[c])))
  console.log(`\nGoal: ≤ 3× terraform_data for ${largest} sources (launch mode). Worst command: ${worst.toFixed(1)}× → ${worst <= 3 ? 'met' : 'not met'}.`)
}

await main()
