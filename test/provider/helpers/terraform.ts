// Runs the real terraform CLI against the built provider, each test in its own working directory with
// its own CLI configuration: the environment may export TF_CLI_CONFIG_FILE pointing at a file that does
// not exist (every command then warns), so every run sets TF_CLI_CONFIG_FILE and CHECKPOINT_DISABLE itself.
//
// Two ways of running the provider:
//   launch    Terraform starts the provider from the filesystem mirror (handshake + AutoMTLS), 2–5 times
//             per command, as users get it.
//   reattach  one long-lived `terraform-provider-openc2c --debug` process and TF_REATTACH_PROVIDERS: no
//             launches, so the many commands of the lifecycle cases run several times faster.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PROVIDER_ADDRESS } from '../../../provider/version.js'
import type { BuiltProvider } from './built-provider.js'

export interface ServiceEndpoint {
  baseUrl: string
  accessId: string
  accessKey: string
}

function findTerraform(): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' })
  const path = result.stdout.trim()
  return result.status === 0 && path ? path : undefined
}

export const TERRAFORM = findTerraform()

export function mirrorCliConfig(mirrorDir: string): string {
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirrorDir)}`,
    '    include = ["registry.terraform.io/openc2c/*"]',
    '  }',
    '  direct {',
    '    exclude = ["registry.terraform.io/openc2c/*"]',
    '  }',
    '}',
    '',
  ].join('\n')
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

export class TerraformWorkspace {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A fresh directory with the given files (or a copy of `from`), a mirror-only CLI config, and the
   * provider's OPENC2C_* settings in the environment. */
  static async create(options: {
    provider: BuiltProvider
    service: ServiceEndpoint
    files?: Record<string, string>
    from?: string
    reattach?: ReattachedProvider
  }): Promise<TerraformWorkspace> {
    const dir = await mkdtemp(join(tmpdir(), 'openc2c-tf-'))
    if (options.from) await cp(options.from, dir, { recursive: true })
    for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), content)
    const cliConfig = join(dir, '.terraformrc')
    await writeFile(cliConfig, mirrorCliConfig(options.provider.mirrorDir))
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      OPENC2C_ENDPOINT: options.service.baseUrl,
      OPENC2C_ACCESS_ID: options.service.accessId,
      OPENC2C_ACCESS_KEY: options.service.accessKey,
    }
    delete env.TF_LOG
    delete env.TF_REATTACH_PROVIDERS
    if (options.reattach) env.TF_REATTACH_PROVIDERS = options.reattach.reattachJson
    return new TerraformWorkspace(dir, env)
  }

  async write(name: string, content: string): Promise<void> {
    await writeFile(join(this.dir, name), content)
  }

  async read(name: string): Promise<string> {
    return readFile(join(this.dir, name), 'utf8')
  }

  /** terraform <args> -no-color; resolves with the exit code, never throws on a non-zero exit. */
  async run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const started = performance.now()
    const child = spawn(TERRAFORM ?? 'terraform', [...args, '-no-color'], { cwd: this.dir, env: { ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [code] = (await once(child, 'exit')) as [number | null]
    return { code, stdout, stderr, ms: performance.now() - started }
  }

  /** Like run, but fails with Terraform's output when the exit code is not the expected one. */
  async expect(args: string[], expectedCode: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const result = await this.run(args, extraEnv)
    if (result.code !== expectedCode) {
      throw new Error(`terraform ${args.join(' ')} exited ${result.code}, expected ${expectedCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`)
    }
    return result
  }

  async state(): Promise<{ resources: Array<{ type: string; name: string; mode: string; instances: Array<{ attributes: Record<string, unknown> }> }> }> {
    return JSON.parse(await this.read('terraform.tfstate'))
  }

  async attributes(type: string, name: string): Promise<Record<string, unknown>> {
    const resource = (await this.state()).resources.find((r) => r.type === type && r.name === name && r.mode === 'managed')
    if (!resource?.instances[0]) throw new Error(`no ${type}.${name} in state`)
    return resource.instances[0].attributes
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

export interface ReattachedProvider {
  reattachJson: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts the built provider in --debug mode, as `TF_REATTACH_PROVIDERS` users do. The provider reads
 * OPENC2C_* from its own environment, so the service settings go to it here. */
export async function startReattachedProvider(provider: BuiltProvider, service: ServiceEndpoint): Promise<ReattachedProvider> {
  const child = spawn(provider.executable, ['--debug'], {
    env: { ...process.env, OPENC2C_ENDPOINT: service.baseUrl, OPENC2C_ACCESS_ID: service.accessId, OPENC2C_ACCESS_KEY: service.accessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stderr.on('data', () => {})
  const lines = createInterface({ input: child.stdout })
  const reattachJson = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no TF_REATTACH_PROVIDERS line within 15 s')), 15_000)
    lines.on('line', (line) => {
      const match = /TF_REATTACH_PROVIDERS='(.*)'/.exec(line)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => reject(new Error(`provider --debug exited ${code}`)))
  })
  const parsed = JSON.parse(reattachJson) as Record<string, unknown>
  if (!parsed[PROVIDER_ADDRESS]) throw new Error(`reattach JSON does not name ${PROVIDER_ADDRESS}: ${reattachJson}`)
  return {
    reattachJson,
    child,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}
