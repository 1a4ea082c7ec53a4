// The service as tests run it: the same esbuild bundle `npm start` runs (api/build.ts), built once
// per version of the sources into a cache folder shared by concurrent test processes. The folder is
// inside node_modules/.cache so the bundle's imports resolve to the project's node_modules.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildService } from '../../api/build.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SOURCE_DIRS = ['api', 'schemas', 'migrations']

async function sourceHash(): Promise<string> {
  const hash = crypto.createHash('sha256')
  for (const dir of SOURCE_DIRS) {
    const entries = await fs.readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name)).sort()
    for (const file of files) hash.update(path.relative(ROOT, file)).update(await fs.readFile(file))
  }
  hash.update(await fs.readFile(path.join(ROOT, 'package-lock.json')))
  return hash.digest('hex').slice(0, 16)
}

/** Path of the bundled service entry (main.mjs) for the current sources. */
export async function serviceEntry(): Promise<string> {
  const dir = path.join(ROOT, 'node_modules/.cache/openc2c-service', await sourceHash())
  const entry = path.join(dir, 'main.mjs')
  try {
    await fs.access(entry)
  } catch {
    await buildService(dir, { keepExisting: true })
  }
  return entry
}

/**
 * How `npm start` runs the service, read from its script in package.json (environment and node flags
 * before `dist/api/main.mjs`), so that tests and benchmarks run the process exactly as users do.
 */
export async function serviceLaunch(): Promise<{ env: Record<string, string>; args: string[] }> {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const command = pkg.scripts.start!.split('&&').pop()!.trim().split(/\s+/)
  const env: Record<string, string> = {}
  while (command[0] && /^[A-Z_][A-Z0-9_]*=/.test(command[0])) {
    const [name, value] = command.shift()!.split('=') as [string, string]
    env[name] = value
  }
  if (command.shift() !== 'node' || command.pop() !== 'dist/api/main.mjs') {
    throw new Error(`unexpected start script: ${pkg.scripts.start}`)
  }
  return { env, args: [...command, await serviceEntry()] }
}
