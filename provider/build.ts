// npm run build:provider [-- --out <dir>] [--platforms linux_amd64,darwin_arm64]
// Prints where the executable and the filesystem mirror are.

import { buildProvider } from './packaging/bundle.js'

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name)
  return index >= 0 ? process.argv[index + 1] : undefined
}

const outDir = option('--out')
const platforms = option('--platforms')?.split(',')
const result = await buildProvider({ ...(outDir && { outDir }), ...(platforms && { platforms }) })
console.log(`built terraform-provider-openc2c ${result.version} (${(result.bytes / 1024).toFixed(0)} KiB, of which V8 code cache ${(result.codeCacheBytes / 1024).toFixed(0)} KiB)`)
console.log(`  executable: ${result.executable}`)
console.log(`  mirror:     ${result.mirrorDir}`)
for (const file of result.mirrorExecutables) console.log(`              ${file}`)
