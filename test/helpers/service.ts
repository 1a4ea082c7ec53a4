// The real service as a child process (the bundle `npm start` runs, see service-bundle.ts), on a
// free port and a fresh database (PGlite directory, or a fresh Postgres database when
// TEST_DATABASE_URL is set). For end-to-end tests: Terraform, crash and multi-process tests.
import { type ChildProcess, spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabaseLocation, type TestDatabaseLocation } from './db.js'
import { serviceLaunch } from './service-bundle.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface StartServiceOptions {
  /** Extra environment, e.g. OPENC2C_CHATGPT_BASE_URL or OPENC2C_SCHEDULER. */
  env?: Record<string, string>
  /** Reuse a database (and data dir) from an earlier service, e.g. to restart after a kill. */
  reuse?: RunningService
  /** Postgres server to create a fresh database on; null forces PGlite. Default: TEST_DATABASE_URL. */
  serverUrl?: string | null
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[]
  /** Milliseconds to wait for "listening"; default 60 s. */
  startTimeoutMs?: number
  /**
   * Called as soon as the process exists, before it listens: its scheduler may already be working
   * when "listening" is read, so a test that kills it at an exact upstream request needs it earlier.
   */
  onSpawn?: (child: ChildProcess) => void
  /**
   * A data directory to use as it is (it need not exist): on PGlite the service then creates its
   * database there itself, as a first `npm start` does, instead of being given a migrated copy.
   */
  dataDir?: string
  /** A database prepared by the test (e.g. at an older migration), used as the service's own. */
  location?: TestDatabaseLocation
  /** A TypeScript entry to run under tsx instead of the bundle (a service built with test-only parts). */
  entry?: string
}

export interface RunningService {
  baseUrl: string
  /** The TypeScript entry it runs, when not the bundle (StartServiceOptions.entry). */
  entry: string | undefined
  accessId: string
  accessKey: string
  authorization: string
  dataDir: string
  secretKey: string
  location: TestDatabaseLocation
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>
  /** Stops the process if running and removes its database and data dir. */
  destroy(): Promise<void>
}

export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const reuse = options.reuse
  const serverUrl = options.serverUrl === undefined ? (process.env.TEST_DATABASE_URL ?? null) : options.serverUrl
  const ownDatabase: TestDatabaseLocation | undefined = options.dataDir && !serverUrl ? { cleanup: async () => {} } : undefined
  const location = reuse?.location ?? options.location ?? ownDatabase ?? (await createTestDatabaseLocation(serverUrl))
  let dataDir: string
  if (reuse) dataDir = reuse.dataDir
  else if (options.dataDir) dataDir = options.dataDir
  else {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-svc-'))
    if (location.pgliteDir) await fs.rename(location.pgliteDir, path.join(dataDir, 'pgdata'))
  }
  const accessId = reuse?.accessId ?? 'e2e-access-id'
  const accessKey = reuse?.accessKey ?? crypto.randomBytes(24).toString('base64url')
  const secretKey = reuse?.secretKey ?? crypto.randomBytes(32).toString('base64')
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: '0',
    HOST: '127.0.0.1',
    OPENC2C_DATA_DIR: dataDir,
    OPENC2C_ACCESS_ID: accessId,
    OPENC2C_ACCESS_KEY: accessKey,
    OPENC2C_SECRET_KEY: secretKey,
    LOG_LEVEL: 'info',
    ...(location.databaseUrl ? { DATABASE_URL: location.databaseUrl } : {}),
    ...options.env,
  }
  if (!location.databaseUrl) delete env.DATABASE_URL

  const launch = await serviceLaunch()
  const entry = options.entry ?? reuse?.entry
  const args = entry ? ['--import', 'tsx', entry] : launch.args
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: ROOT,
    env: { ...launch.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  options.onSpawn?.(child)
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output}`)), options.startTimeoutMs ?? 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /"address":"(http:\/\/[^"]+)".*"msg":"openc2c listening"/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    // 'close' comes after the output is read to the end: a process killed right after it logged
    // "listening" (a test killing it at its first upstream request) still counts as started.
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`service exited with ${signal ?? code} before listening:\n${output}`))
    })
  })

  let baseUrl: string
  try {
    baseUrl = await listening
  } catch (err) {
    // Nobody gets a handle on a process that never listened: it must not outlive this call, nor
    // the database and data directory made for it.
    child.kill('SIGKILL')
    await exited
    if (!reuse) {
      await location.cleanup().catch(() => {})
      if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true })
    }
    throw err
  }

  const running: RunningService = {
    baseUrl,
    entry,
    accessId,
    accessKey,
    authorization: `Basic ${Buffer.from(`${accessId}:${accessKey}`).toString('base64')}`,
    dataDir,
    secretKey,
    location,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    async destroy() {
      await running.kill()
      await location.cleanup()
      await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
  return running
}
