// The data directory is private to its owner: folders 0700, files 0600, the embedded database (WAL
// included), the secret key and the download spool. Set at creation, repaired with a warning at
// start, and never a fresh database created over a damaged one. Where the suite runs as root, the
// `nobody` account tries to read every file.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { DataDirError, makeOwnerOnly, prepareDataDir } from '../../../api/store/data-dir.js'
import { openDatabase } from '../../../api/store/database.js'
import { startFakeCompliance } from '../../fakes/chatgpt/index.js'
import { FAST_RUNTIME_ENV } from '../../helpers/collecting.js'
import { pgliteTemplate, usingPostgres } from '../../helpers/db.js'
import { type RunningService, startService } from '../../helpers/service.js'
import { api, createChatGptSource, createCollector, sourcePath, waitUntil } from '../runtime/service-api.js'

const NOBODY = 65534
const runningAsRoot = process.getuid?.() === 0

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A folder others may traverse (as /tmp is), so that only the data directory's own modes protect it. */
async function openParent(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-datadir-test-'))
  await fs.chmod(dir, 0o755)
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

/** Every path under root whose mode lets its group or others in, as "mode path". */
async function notPrivate(root: string): Promise<string[]> {
  const found: string[] = []
  const visit = async (target: string): Promise<void> => {
    const stat = await fs.lstat(target).catch(() => undefined) // a file PGlite removed meanwhile
    if (!stat || stat.isSymbolicLink()) return
    const mode = stat.mode & 0o777
    if (stat.isDirectory()) {
      if (mode !== 0o700) found.push(`${mode.toString(8)} ${target}`)
      for (const name of await fs.readdir(target).catch(() => [])) await visit(path.join(target, name))
    } else if (mode & 0o077) found.push(`${mode.toString(8)} ${target}`)
  }
  await visit(root)
  return found
}

async function allPaths(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true })
  return [root, ...entries.map((e) => path.join(root, e))]
}

/** The paths the `nobody` account can open (files) or list (folders). */
function readableByNobody(paths: string[]): string[] {
  const probe = `
    const fs = require('node:fs')
    const opened = []
    for (const p of JSON.parse(process.env.PROBE_PATHS)) {
      try { fs.statSync(p).isDirectory() ? fs.readdirSync(p) : fs.closeSync(fs.openSync(p, 'r')); opened.push(p) } catch {}
    }
    process.stdout.write(JSON.stringify(opened))`
  const result = spawnSync(process.execPath, ['-e', probe], { uid: NOBODY, gid: NOBODY, env: { PROBE_PATHS: JSON.stringify(paths) }, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`probe as nobody failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as string[]
}

function capturingLogger(): { logger: pino.Logger; lines: () => any[] } {
  const lines: any[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines: () => lines }
}

describe('makeOwnerOnly and prepareDataDir', () => {
  it('repair folders to 0700 and files to 0600, warn naming the directory, and leave symlink targets alone', async () => {
    const parent = await openParent()
    const dataDir = path.join(parent, 'data')
    await fs.mkdir(path.join(dataDir, 'pgdata/base'), { recursive: true, mode: 0o755 })
    await fs.chmod(dataDir, 0o755)
    await fs.writeFile(path.join(dataDir, 'pgdata/base/1'), 'x', { mode: 0o666 })
    await fs.chmod(path.join(dataDir, 'pgdata/base/1'), 0o666)
    await fs.writeFile(path.join(dataDir, 'secret.key'), 'k', { mode: 0o600 })
    const outside = path.join(parent, 'outside.txt')
    await fs.writeFile(outside, 'not ours')
    await fs.chmod(outside, 0o644)
    await fs.symlink(outside, path.join(dataDir, 'link'))
    expect(await notPrivate(dataDir)).not.toEqual([])

    const { logger, lines } = capturingLogger()
    await prepareDataDir(dataDir, logger)

    expect(await notPrivate(dataDir)).toEqual([])
    expect((await fs.stat(outside)).mode & 0o777).toBe(0o644)
    const warning = lines().find((l) => l.level === 40)
    expect(warning?.msg).toContain(dataDir)
    expect(warning?.repaired).toBe(4) // data, pgdata, base, base/1 (secret.key was already 0600)

    const again = capturingLogger()
    await prepareDataDir(dataDir, again.logger)
    expect(again.lines().filter((l) => l.level >= 40)).toEqual([])
  })

  it('creates a missing data directory 0700', async () => {
    const dataDir = path.join(await openParent(), 'a/b/data')
    await prepareDataDir(dataDir, capturingLogger().logger)
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700)
  })

  it.runIf(runningAsRoot)('refuses a data directory that belongs to another user, and changes nothing in it', async () => {
    const dataDir = path.join(await openParent(), 'data')
    await fs.mkdir(dataDir, { mode: 0o755 })
    await fs.chmod(dataDir, 0o755)
    await fs.chown(dataDir, NOBODY, NOBODY)
    await expect(prepareDataDir(dataDir, capturingLogger().logger)).rejects.toThrow(DataDirError)
    await expect(prepareDataDir(dataDir, capturingLogger().logger)).rejects.toThrow(/belongs to uid 65534/)
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o755)
  })

  it('returns the paths it changed', async () => {
    const dir = path.join(await openParent(), 'tree')
    await fs.mkdir(dir, { mode: 0o700 })
    await fs.writeFile(path.join(dir, 'ok'), '', { mode: 0o600 })
    await fs.writeFile(path.join(dir, 'loose'), '')
    await fs.chmod(path.join(dir, 'loose'), 0o640)
    expect(await makeOwnerOnly(dir)).toEqual([path.join(dir, 'loose')])
    expect((await fs.stat(path.join(dir, 'loose'))).mode & 0o777).toBe(0o600)
  })
})

describe('the embedded database directory', () => {
  it('refuses to open a directory with files but no PG_VERSION, and leaves every file as it was', async () => {
    const pgdata = path.join(await openParent(), 'pgdata')
    await fs.cp(await pgliteTemplate(), pgdata, { recursive: true })
    await fs.rm(path.join(pgdata, 'PG_VERSION'))
    const before = (await allPaths(pgdata)).sort()

    await expect(openDatabase({ pgliteDir: pgdata })).rejects.toThrow(/looks damaged: it holds \d+ entries but no PG_VERSION/)
    expect((await allPaths(pgdata)).sort()).toEqual(before)
  })

  it('refuses a directory whose pg_control is missing', async () => {
    const pgdata = path.join(await openParent(), 'pgdata')
    await fs.cp(await pgliteTemplate(), pgdata, { recursive: true })
    await fs.rm(path.join(pgdata, 'global/pg_control'))
    await expect(openDatabase({ pgliteDir: pgdata })).rejects.toThrow(/no global\/pg_control/)
  })

  it('creates a database in an empty directory, private from the start', async () => {
    const pgdata = path.join(await openParent(), 'pgdata')
    await fs.mkdir(pgdata)
    const database = await openDatabase({ pgliteDir: pgdata })
    await database.close()
    expect(await fs.readFile(path.join(pgdata, 'PG_VERSION'), 'utf8')).toMatch(/^\d+/)
    expect(await notPrivate(pgdata)).toEqual([])
  })
})

describe.skipIf(usingPostgres)('npm start on a new data directory', () => {
  let service: RunningService | undefined
  afterEach(async () => {
    await service?.destroy()
    service = undefined
  })

  it('keeps the database, WAL, key and spool private to the owner while it collects, and repairs loosened modes at the next start', { timeout: 180_000 }, async () => {
    const fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    cleanups.push(() => fake.close())
    const files = fake.addGeneratedFiles('CONVERSATION_MESSAGE', 3, 200)
    // The second file's body trickles, so the run is caught with a spool file open.
    fake.slowNext('signed', { chunkBytes: 2048, delayMs: 40 }, 2)
    const dataDir = path.join(await openParent(), 'data')
    const env = { ...FAST_RUNTIME_ENV, OPENC2C_CHATGPT_BASE_URL: fake.baseUrl }
    // No OPENC2C_SECRET_KEY: the embedded database generates its key file, as a first start does.
    service = await startService({ dataDir, serverUrl: null, env: { ...env, OPENC2C_SECRET_KEY: '' } })
    const collectorId = await createCollector(service)
    const sourceId = await createChatGptSource(service, collectorId, fake, { enabledEventType: ['CONVERSATION'] })

    let spoolFile: string | undefined
    await waitUntil(async () => {
      const spool = (await allPaths(path.join(dataDir, 'spool')).catch(() => [])).filter((p) => p.endsWith('.jsonl'))
      spoolFile = spool[0]
      return spoolFile !== undefined
    }, 'a download in the spool', 60_000, 10)
    const whileDownloading = await notPrivate(dataDir)
    const expected = files.reduce((sum, f) => sum + f.eventCount, 0)
    await waitUntil(
      async () => (await api(service!, 'GET', `${sourcePath(collectorId, sourceId)}/events?limit=1000`)).events.length === expected,
      'every event stored',
      120_000,
      200,
    )
    const whileCollecting = await notPrivate(dataDir)
    const walFiles = await fs.readdir(path.join(dataDir, 'pgdata/pg_wal'))
    expect(walFiles.length).toBeGreaterThan(0)
    expect(whileDownloading, `spool file ${spoolFile}`).toEqual([])
    expect(whileCollecting).toEqual([])
    expect((await fs.stat(path.join(dataDir, 'secret.key'))).mode & 0o777).toBe(0o600)

    if (runningAsRoot) {
      // The probe can read what others may read: a control file beside the data directory.
      const control = path.join(path.dirname(dataDir), 'control.txt')
      await fs.writeFile(control, 'readable')
      await fs.chmod(control, 0o644)
      const paths = await allPaths(dataDir)
      expect(readableByNobody([control, ...paths])).toEqual([control])
      // Even with the data directory opened up, no file or folder inside lets nobody in.
      await fs.chmod(dataDir, 0o755)
      const inside = paths.filter((p) => p !== dataDir)
      expect(readableByNobody(inside)).toEqual([])
      await fs.chmod(dataDir, 0o700)
    }
    expect(await service.stop()).toBe(0)
    expect(await notPrivate(dataDir)).toEqual([])

    // A copy or restore that loosened the modes: the next start repairs them and says where.
    await fs.chmod(dataDir, 0o755)
    await fs.chmod(path.join(dataDir, 'pgdata'), 0o755)
    await fs.chmod(path.join(dataDir, 'pgdata/PG_VERSION'), 0o666)
    await fs.chmod(path.join(dataDir, 'secret.key'), 0o644)
    service = await startService({ reuse: service, env: { ...env, OPENC2C_SECRET_KEY: '' } })
    expect(service.output()).toContain(`the data directory ${dataDir} was readable by other users; 4 of its files and folders are now private`)
    expect(await notPrivate(dataDir)).toEqual([])
    const events = await api(service, 'GET', `${sourcePath(collectorId, sourceId)}/events?limit=1000`)
    expect(events.events).toHaveLength(expected)
  })

  it('stops with a message, and deletes nothing, when the embedded database lost its PG_VERSION', { timeout: 60_000 }, async () => {
    const dataDir = path.join(await openParent(), 'data')
    await fs.mkdir(dataDir, { mode: 0o700 })
    await fs.cp(await pgliteTemplate(), path.join(dataDir, 'pgdata'), { recursive: true })
    await fs.rm(path.join(dataDir, 'pgdata/PG_VERSION'))
    const before = (await allPaths(dataDir)).length
    await expect(startService({ dataDir, serverUrl: null, startTimeoutMs: 30_000 })).rejects.toThrow(/looks damaged: it holds \d+ entries but no PG_VERSION/)
    expect(await fs.readdir(path.join(dataDir, 'pgdata'))).toContain('base')
    expect((await allPaths(dataDir)).length).toBe(before)
  })
})
