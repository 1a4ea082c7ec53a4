// The built provider executable, built at most once per source version and kept on purpose between runs
// in one cache folder, $TMPDIR/openc2c-test-cache/provider-<hash of the sources>. Test files run in
// parallel processes, so each build goes to a private folder beside it and is renamed into place; whoever
// renames first wins, the others reuse it. A run marks the build it uses, and a new build removes the
// builds nobody used for a day, so edits to the provider do not pile builds up.

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs'
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

const CACHE = join(tmpdir(), 'openc2c-test-cache')
const UNUSED_FOR_MS = 24 * 3600_000

let pending: Promise<BuiltProvider> | undefined

async function removeUnusedBuilds(): Promise<void> {
  for (const entry of readdirSync(CACHE)) {
    if (!entry.startsWith('provider-')) continue
    const path = join(CACHE, entry)
    if (Date.now() - statSync(path).mtimeMs > UNUSED_FOR_MS) await rm(path, { recursive: true, force: true })
  }
}

export function builtProvider(): Promise<BuiltProvider> {
  pending ??= (async () => {
    const dir = join(CACHE, `provider-${sourceHash()}`)
    const result = (): BuiltProvider => ({ dir, executable: join(dir, EXECUTABLE_NAME), mirrorDir: join(dir, 'mirror'), version: PROVIDER_VERSION })
    if (existsSync(join(dir, 'mirror', PROVIDER_ADDRESS))) {
      utimesSync(dir, new Date(), new Date())
      return result()
    }
    const privateDir = `${dir}.tmp-${process.pid}-${Date.now()}`
    try {
      await buildProvider({ outDir: privateDir })
      await rename(privateDir, dir)
    } catch (error) {
      await rm(privateDir, { recursive: true, force: true })
      if (!existsSync(join(dir, 'mirror', PROVIDER_ADDRESS))) throw error // not just another worker winning the race
    }
    await removeUnusedBuilds()
    return result()
  })()
  return pending
}
