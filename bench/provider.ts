// `npm run bench:provider`: what the openc2c Terraform provider costs next to Terraform's built-in
// terraform_data, measured in the same run on the same machine, in launch mode (Terraform starts the
// provider from a filesystem mirror, once per phase of each command: the only way users run it).
//
//   1. provider start: spawn → go-plugin handshake line (AutoMTLS, as Terraform launches it), next to a
//      bare `node -e 0`, alternating
//   2. plan / apply / no-op plan / destroy wall time for 1, 100 and 1000 ChatGPT Compliance sources (plus
//      their collector), next to the same number of terraform_data resources; rounds alternate between
//      the variants so load changes on the shared machine hit all of them alike
//   3. the per-resource cost: the slope of each command's time between the two largest sizes
//
// Goals: handshake within 25 ms of `node -e 0`; at the largest size every command ≤ 1.5× terraform_data.
//
// Env: BENCH_SIZES (default "1,100,1000"), BENCH_REPEAT (rounds per size, median reported; default 5, and
// 3 for sizes of 500 or more), BENCH_LAUNCHES (handshake samples, default 20), TEST_DATABASE_URL (the
// service on Postgres instead of PGlite), BENCH_PROVIDER_DIR (benchmark an existing build folder holding
// terraform-provider-openc2c and mirror/ instead of building one), BENCH_BEFORE_DIR (a build folder of an
// earlier commit of the same provider version, measured as one more variant in the same rounds, e.g.
// `git worktree add /tmp/before <commit> && cd /tmp/before && npm ci && npm run build:provider -- --out
// /tmp/before-build`).

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildProvider } from '../provider/packaging/bundle.js'
import { PROVIDER_VERSION } from '../provider/version.js'
import { startService, type RunningService } from '../test/helpers/service.js'
import { launchProvider } from '../test/provider/helpers/plugin-client.js'
import { TerraformWorkspace, TERRAFORM } from '../test/provider/helpers/terraform.js'
import type { BuiltProvider } from '../test/provider/helpers/built-provider.js'
import { machine, progress, table } from './lib/report.js'

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000').split(',').map(Number)
const repeatFor = (sources: number): number => Number(process.env.BENCH_REPEAT ?? (sources >= 500 ? 3 : 5))
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 20)
const HANDSHAKE_GOAL_MS = 25
const RATIO_GOAL = 1.5
const COMMANDS = ['plan', 'apply', 'no-op plan', 'destroy'] as const
type Command = (typeof COMMANDS)[number]
type Variant = 'terraform_data' | 'openc2c' | 'openc2c, earlier build'

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

async function nodeStartMs(): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await once(child, 'exit')
  return performance.now() - started
}

async function handshakeMs(provider: BuiltProvider): Promise<number> {
  const plugin = await launchProvider(provider.executable)
  await plugin.shutdown()
  return plugin.handshakeMs
}

/** A row of the provider-start table: label, median, p95, sample count. */
function startRow(label: string, samples: number[]): Array<string | number> {
  return [label, `${Math.round(median(samples))} ms`, `${Math.round(percentile(samples, 0.95))} ms`, samples.length]
}

interface Lifecycle {
  variant: Variant
  sources: number
  workspace: TerraformWorkspace
  times: Record<Command, number[]>
}

async function prepareLifecycle(variant: Variant, sources: number, provider: BuiltProvider, service: RunningService): Promise<Lifecycle> {
  const workspace = await TerraformWorkspace.create({
    provider,
    service,
    files: { 'main.tf': variant === 'terraform_data' ? terraformDataConfig(sources) : openc2cConfig(sources) },
  })
  await workspace.expect(['init'], 0)
  return { variant, sources, workspace, times: { plan: [], apply: [], 'no-op plan': [], destroy: [] } }
}

/** One plan / apply / no-op plan / destroy cycle. */
async function runCycle(lifecycle: Lifecycle, round: number, rounds: number): Promise<void> {
  const { workspace: ws, times } = lifecycle
  times.plan.push((await ws.expect(['plan', '-detailed-exitcode'], 2)).ms)
  times.apply.push((await ws.expect(['apply', '-auto-approve'], 0)).ms)
  times['no-op plan'].push((await ws.expect(['plan', '-detailed-exitcode'], 0)).ms)
  times.destroy.push((await ws.expect(['destroy', '-auto-approve'], 0)).ms)
  progress(
    `${lifecycle.variant}, ${lifecycle.sources} source(s), round ${round}/${rounds}: ` +
      COMMANDS.map((c) => `${c} ${seconds(times[c][times[c].length - 1] as number)} s`).join(', '),
  )
}

async function copyBuild(from: string, prefix: string): Promise<BuiltProvider> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await cp(from, dir, { recursive: true })
  return { dir, executable: join(dir, 'terraform-provider-openc2c'), mirrorDir: join(dir, 'mirror'), version: PROVIDER_VERSION }
}

async function main(): Promise<void> {
  if (!TERRAFORM) throw new Error('bench:provider needs the terraform CLI on PATH')
  progress(`machine: ${machine()}`)
  let provider: BuiltProvider
  if (process.env.BENCH_PROVIDER_DIR) {
    provider = await copyBuild(process.env.BENCH_PROVIDER_DIR, 'openc2c-bench-provider-')
    progress(`using the build copied from ${process.env.BENCH_PROVIDER_DIR}`)
  } else {
    progress('building the provider (esbuild, single file)')
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-bench-provider-'))
    const build = await buildProvider({ outDir: dir })
    provider = { dir, executable: build.executable, mirrorDir: build.mirrorDir, version: PROVIDER_VERSION }
    progress(`built ${(build.bytes / 1024).toFixed(0)} KiB`)
  }
  const before = process.env.BENCH_BEFORE_DIR ? await copyBuild(process.env.BENCH_BEFORE_DIR, 'openc2c-bench-before-') : undefined
  if (before) progress(`comparing with the earlier build copied from ${process.env.BENCH_BEFORE_DIR}`)

  const database = process.env.TEST_DATABASE_URL ? 'Postgres (TEST_DATABASE_URL)' : 'PGlite'
  const results: Lifecycle[] = []
  const launches = { provider: [] as number[], before: [] as number[], node: [] as number[] }
  const loadBefore = loadavg()[0] ?? 0
  let service: RunningService | undefined
  try {
    progress(`handshake: ${LAUNCHES} launches with AutoMTLS, alternating with bare node`)
    await handshakeMs(provider) // the first launch reads the file from disk
    for (let i = 0; i < LAUNCHES; i++) {
      launches.provider.push(await handshakeMs(provider))
      if (before) launches.before.push(await handshakeMs(before))
      launches.node.push(await nodeStartMs())
      if ((i + 1) % 5 === 0) progress(`handshake: ${i + 1}/${LAUNCHES}, median so far ${Math.round(median(launches.provider))} ms (node -e 0: ${Math.round(median(launches.node))} ms)`)
    }

    progress(`starting the service (scheduler off, ${database})`)
    service = await startService({ env: { OPENC2C_SCHEDULER: 'off' } })
    for (const sources of SIZES) {
      const variants: Array<[Variant, BuiltProvider]> = [['terraform_data', provider], ['openc2c', provider], ...(before ? [['openc2c, earlier build', before] as [Variant, BuiltProvider]] : [])]
      const lifecycles: Lifecycle[] = []
      for (const [variant, build] of variants) lifecycles.push(await prepareLifecycle(variant, sources, build, service))
      const rounds = repeatFor(sources)
      progress(`${sources} source(s): ${rounds} rounds of plan / apply / no-op plan / destroy, variants alternating`)
      for (let round = 1; round <= rounds; round++) for (const lifecycle of lifecycles) await runCycle(lifecycle, round, rounds)
      for (const lifecycle of lifecycles) await lifecycle.workspace.remove()
      results.push(...lifecycles)
    }
  } finally {
    await service?.destroy()
    await rm(provider.dir, { recursive: true, force: true })
    if (before) await rm(before.dir, { recursive: true, force: true })
  }
  const loadAfter = loadavg()[0] ?? 0

  console.log(`\n## Terraform provider (npm run bench:provider)\n\n${machine()}, terraform ${TERRAFORM}, service database ${database}`)
  console.log(`1-minute load average: ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (other work on the machine makes figures noisy)\n`)
  const handshakeGap = median(launches.provider) - median(launches.node)
  console.log(
    table(
      ['provider start', 'median', 'p95', 'samples'],
      [
        startRow('spawn → handshake line (AutoMTLS)', launches.provider),
        ...(before ? [startRow('earlier build: spawn → handshake line', launches.before)] : []),
        startRow('bare `node -e 0` (baseline)', launches.node),
      ],
    ),
  )

  const byKey = (variant: Variant, sources: number): Lifecycle | undefined => results.find((r) => r.variant === variant && r.sources === sources)
  const at = (variant: Variant, sources: number, command: Command): number => median(byKey(variant, sources)!.times[command])
  console.log(`\nWall seconds, median of the rounds; resources = sources + 1 collector (terraform_data: the same count).\n`)
  const rows: string[][] = []
  for (const sources of SIZES) {
    for (const result of results.filter((r) => r.sources === sources)) {
      rows.push([
        result.variant,
        String(sources),
        String(result.times.plan.length),
        ...COMMANDS.map((c) => {
          const value = at(result.variant, sources, c)
          return result.variant === 'terraform_data' ? seconds(value) : `${seconds(value)} (${(value / at('terraform_data', sources, c)).toFixed(1)}×)`
        }),
      ])
    }
  }
  console.log(table(['variant', 'sources', 'rounds', ...COMMANDS.map((c) => `${c} s (× terraform_data)`)], rows))

  const sizes = [...SIZES].sort((a, b) => a - b)
  const [small, large] = [sizes[sizes.length - 2], sizes[sizes.length - 1]] as [number | undefined, number]
  if (small !== undefined) {
    const slope = (variant: Variant, command: Command): number => (at(variant, large, command) - at(variant, small, command)) / (large - small)
    const variants = results.filter((r) => r.sources === large).map((r) => r.variant)
    console.log(`\nPer-resource cost: ms per extra resource between ${small} and ${large} sources (the slope).\n`)
    console.log(
      table(
        ['variant', ...COMMANDS.map((c) => `${c} ms`)],
        [
          ...variants.map((variant) => [variant, ...COMMANDS.map((c) => slope(variant, c).toFixed(2))]),
          ['openc2c − terraform_data', ...COMMANDS.map((c) => (slope('openc2c', c) - slope('terraform_data', c)).toFixed(2))],
        ],
      ),
    )
  }

  console.log(`\nGoal: handshake within ${HANDSHAKE_GOAL_MS} ms of bare node → ${Math.round(handshakeGap)} ms: ${handshakeGap <= HANDSHAKE_GOAL_MS ? 'met' : 'not met'}.`)
  const ratios = COMMANDS.map((c) => [c, at('openc2c', large, c) / at('terraform_data', large, c)] as const)
  console.log(
    `Goal: ≤ ${RATIO_GOAL}× terraform_data at ${large} sources → ` +
      ratios.map(([c, ratio]) => `${c} ${ratio.toFixed(2)}× (${ratio <= RATIO_GOAL ? 'met' : 'not met'})`).join(', ') +
      '.',
  )
}

await main()
