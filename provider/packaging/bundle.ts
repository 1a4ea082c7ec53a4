// Builds the provider as one executable JavaScript file (executable.ts) and lays it out as a Terraform
// filesystem mirror:
//
//   <out>/terraform-provider-openc2c                                   (for dev_overrides)
//   <out>/mirror/registry.terraform.io/openc2c/openc2c/<version>/<os_arch>/terraform-provider-openc2c_v<version>
//
// Values fixed at build time are embedded as JSON, so nothing is read from disk at run time: the protocol
// descriptor parsed from our .proto files, the ChatGPT and destination config contracts taken from the shared
// TypeBox schemas (TypeBox stays out of the bundle), and the serialized GetProviderSchema response (plugin/prebuilt.ts).
//
// Two packages are replaced by stubs, keeping them out of what every launch reads and runs:
// - @grpc/proto-loader: grpc-js requires it only to load .proto files for channelz and ORCA, which a provider
//   never enables (and which could not work bundled); it would bring the full protobufjs parser along.
// - long: protobufjs uses it for 64-bit integers when it is there, and plain numbers otherwise, which is
//   what the provider asks for anyway (grpc-definitions.ts). Loading it compiles WebAssembly: ≈2.5 ms of
//   each launch.

import { build } from 'esbuild'
import { chmod, copyFile, mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseProtocolDefinitions } from '../proto/parse-definitions.js'
import { ProviderServer } from '../framework/provider-server.js'
import { serviceDefinitions } from '../plugin/grpc-definitions.js'
import { chatgptContract } from '../resources/chatgpt-contract.js'
import { destinationContract } from '../resources/destination-contract.js'
import { openc2cProvider } from '../resources/provider-config.js'
import { PROVIDER_ADDRESS, PROVIDER_VERSION } from '../version.js'
import { produceCodeCache } from './code-cache.js'
import { executableText } from './executable.js'

export const EXECUTABLE_NAME = 'terraform-provider-openc2c'
const PROVIDER_ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface BuildOptions {
  outDir?: string
  /** OS_ARCH folders to fill in the mirror; the JS file is the same for all. */
  platforms?: string[]
  /** Shrinks identifiers too; off by default so stacks in bug reports stay readable (measured: no
   * start-up difference once whitespace and syntax are minified). */
  minifyIdentifiers?: boolean
  /** Embed a V8 code cache (default true). */
  codeCache?: boolean
}

export interface BuildResult {
  version: string
  executable: string
  mirrorDir: string
  mirrorExecutables: string[]
  bytes: number
  codeCacheBytes: number
}

/** The GetProviderSchema response as the provider would serialize it (plugin/prebuilt.ts). */
function schemaResponseBase64(): string {
  const server = new ProviderServer(openc2cProvider(), { log() {} })
  return serviceDefinitions().provider.GetProviderSchema!.responseSerialize(server.getProviderSchema()).toString('base64')
}

export async function buildProvider(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = options.outDir ?? join(PROVIDER_ROOT, 'dist')
  const platforms = options.platforms ?? ['linux_amd64']
  // Module file → the function it exports, whose result is computed now and embedded.
  const buildTimeModules: Array<{ file: RegExp; exportName: string; json: string }> = [
    { file: /[\\/]provider[\\/]proto[\\/]descriptor\.ts$/, exportName: 'protocolDescriptor', json: JSON.stringify(parseProtocolDefinitions()) },
    { file: /[\\/]provider[\\/]resources[\\/]chatgpt-contract\.ts$/, exportName: 'chatgptContract', json: JSON.stringify(chatgptContract()) },
    { file: /[\\/]provider[\\/]resources[\\/]destination-contract\.ts$/, exportName: 'destinationContract', json: JSON.stringify(destinationContract()) },
    { file: /[\\/]provider[\\/]plugin[\\/]prebuilt\.ts$/, exportName: 'prebuiltSchemaResponse', json: JSON.stringify(schemaResponseBase64()) },
  ]
  const executable = join(outDir, EXECUTABLE_NAME)
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  // One self-contained IIFE for Node 20 that refers to `require`, which the loader passes in (executable.ts).
  const result = await build({
    entryPoints: [join(PROVIDER_ROOT, 'main.ts')],
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'iife',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'silent',
    outfile: executable,
    minifyIdentifiers: options.minifyIdentifiers ?? false,
    legalComments: 'eof',
    plugins: [
      {
        name: 'stub-packages',
        setup(pluginBuild) {
          const stubs: Record<string, string> = {
            '@grpc/proto-loader': 'module.exports = { loadSync() { throw new Error("@grpc/proto-loader is not bundled (channelz and ORCA are off)") } }',
            long: 'module.exports = null',
          }
          pluginBuild.onResolve({ filter: /^(@grpc\/proto-loader|long)$/ }, (args) => ({ path: args.path, namespace: 'openc2c-stub' }))
          pluginBuild.onLoad({ filter: /.*/, namespace: 'openc2c-stub' }, (args) => ({ contents: stubs[args.path], loader: 'js' }))
        },
      },
      {
        name: 'embed-build-time-values',
        setup(pluginBuild) {
          for (const module of buildTimeModules) {
            pluginBuild.onLoad({ filter: module.file }, () => ({ contents: `export function ${module.exportName}() { return ${module.json} }`, loader: 'ts' }))
          }
        },
      },
    ],
  })
  const program = result.outputFiles[0]?.text
  if (!program) throw new Error('esbuild produced no output')
  await writeFile(executable, executableText(program, ''), { mode: 0o755 })
  let codeCacheBytes = 0
  if (options.codeCache ?? true) {
    const cache = await produceCodeCache(executable, join(outDir, 'code-cache.bin'))
    codeCacheBytes = cache.length
    await writeFile(executable, executableText(program, cache.toString('base64')), { mode: 0o755 })
  }
  await chmod(executable, 0o755)
  const mirrorDir = join(outDir, 'mirror')
  const mirrorExecutables: string[] = []
  for (const platform of platforms) {
    const target = join(mirrorDir, PROVIDER_ADDRESS, PROVIDER_VERSION, platform, `${EXECUTABLE_NAME}_v${PROVIDER_VERSION}`)
    await mkdir(dirname(target), { recursive: true })
    await copyFile(executable, target)
    await chmod(target, 0o755)
    mirrorExecutables.push(target)
  }
  return { version: PROVIDER_VERSION, executable, mirrorDir, mirrorExecutables, bytes: (await stat(executable)).size, codeCacheBytes }
}
