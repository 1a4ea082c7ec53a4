// The built provider executable, built at most once per source version: test files run in parallel
// processes, so each build goes to a private folder and is renamed into a cache folder named by a hash
// of the sources; whoever renames first wins, the others reuse it.

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildProvider, EXECUTABLE_NAME } from '../../../provider/packaging/bundle.js'
import { PROVIDER_ADDRESS, PROVIDER_VERSION } from '../../../provider/version.js'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface BuiltProvider {
  /** Folder holding terraform-provider-openc2c (for dev_overrides). */
  dir: string
  executable: string
  /** Filesystem mirror root (for `terraform init`). */
  mirrorDir: string
  version: string
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir)) {
    if (entry === 'dist' || entry === 'node_modules') continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (/\.(ts|proto)$/.test(entry)) out.push(path)
  }
  return out.sort()
}

function sourceHash(): string {
  const hash = createHash('sha256')
  for (const file of [...sourceFiles(join(REPO_ROOT, 'provider')), ...sourceFiles(join(REPO_ROOT, 'schemas'))]) {
    hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

let pending: Promise<BuiltProvider> | undefined

export function builtProvider(): Promise<BuiltProvider> {
  pending ??= (async () => {
    const dir = join(tmpdir(), 'openc2c-provider-builds', sourceHash())
    const result = (): BuiltProvider => ({ dir, executable: join(dir, EXECUTABLE_NAME), mirrorDir: join(dir, 'mirror'), version: PROVIDER_VERSION })
    if (existsSync(join(dir, 'mirror', PROVIDER_ADDRESS))) return result()
    const privateDir = `${dir}.tmp-${process.pid}-${Date.now()}`
    await buildProvider({ outDir: privateDir })
    try {
      await rename(privateDir, dir)
    } catch {
      await rm(privateDir, { recursive: true, force: true }) // another worker won the race
    }
    return result()
  })()
  return pending
}
