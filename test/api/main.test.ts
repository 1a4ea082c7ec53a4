// The service as `npm start` runs it: a real process, embedded PGlite in its data dir, credentials
// generated and printed once, data kept across restarts, and clear refusals on bad configuration.
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteTemplate } from '../helpers/db.js'
import { ROOT } from '../helpers/service.js'
import { serviceLaunch } from '../helpers/service-bundle.js'

interface Run {
  code: number | null
  output: string
}

/** Starts the service bundle; resolves once it listens (then calls `whileUp` and stops it) or exits. */
async function runService(env: Record<string, string>, whileUp?: (baseUrl: string, outputSoFar: string) => Promise<void>): Promise<Run> {
  const fullEnv: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', LOG_LEVEL: 'info', ...env }
  for (const name of ['DATABASE_URL', 'OPENC2C_ACCESS_ID', 'OPENC2C_ACCESS_KEY', 'OPENC2C_SECRET_KEY']) if (!(name in env)) delete fullEnv[name]
  const launch = await serviceLaunch()
  const child = spawn(process.execPath, launch.args, { cwd: ROOT, env: { ...launch.env, ...fullEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  let started = false
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /"address":"(http:\/\/[^"]+)".*"msg":"openc2c listening"/.exec(output)
      if (match && !started) {
        started = true
        void (whileUp ?? (async () => {}))(match[1]!, output).finally(() => child.kill('SIGTERM'))
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => resolve({ code, output }))
  })
}

/** Resolves once no process of the group is left (signal 0 probes without signalling). */
async function groupGone(groupId: number): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      process.kill(-groupId, 0)
    } catch {
      return
    }
    if (Date.now() > deadline) throw new Error(`process group ${groupId} still running 20 s after SIGTERM`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let dataDir: string
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-main-'))
  // A copy of the migrated template skips PGlite's ~4 s initdb; start-up logic is otherwise identical.
  await fs.cp(await pgliteTemplate(), path.join(dataDir, 'pgdata'), { recursive: true })
})
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true })
})

describe('npm start on the embedded database', () => {
  it('generates credentials once, keeps data across restarts, and stops cleanly on SIGTERM', async () => {
    let credentials = ''
    let collectorId = 0
    const first = await runService({ OPENC2C_DATA_DIR: dataDir }, async (baseUrl, output) => {
      const match = /access id:\s+(\S+)\n\s+access key:\s+(\S+)/.exec(output)
      expect(match).not.toBeNull()
      credentials = `Basic ${Buffer.from(`${match![1]}:${match![2]}`).toString('base64')}`
      const health = await fetch(`${baseUrl}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' })
      const res = await fetch(`${baseUrl}/api/v1/collectors`, {
        method: 'POST',
        headers: { authorization: credentials, 'content-type': 'application/json' },
        body: JSON.stringify({ collector: { name: 'persisted' } }),
      })
      expect(res.status).toBe(201)
      collectorId = ((await res.json()) as any).collector.id
    })
    expect(first.code).toBe(0)
    expect(first.output.match(/access key:/g)).toHaveLength(1)
    const keyFile = await fs.stat(path.join(dataDir, 'secret.key'))
    expect(keyFile.mode & 0o777).toBe(0o600)

    const second = await runService({ OPENC2C_DATA_DIR: dataDir }, async (baseUrl) => {
      const res = await fetch(`${baseUrl}/api/v1/collectors/${collectorId}`, { headers: { authorization: credentials } })
      expect(res.status).toBe(200)
      expect(((await res.json()) as any).collector.name).toBe('persisted')
    })
    expect(second.code).toBe(0)
    expect(second.output).not.toContain('access key:')
  })

  it('refuses to start with an invalid variable and names it', async () => {
    const run = await runService({ OPENC2C_DATA_DIR: dataDir, PORT: 'nope' })
    expect(run.code).toBe(2)
    expect(run.output).toContain('PORT must be an integer')
  })
})

describe('the npm start script', () => {
  it('builds the service and serves it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-npm-start-'))
    await fs.cp(await pgliteTemplate(), path.join(dir, 'pgdata'), { recursive: true })
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', OPENC2C_DATA_DIR: dir, OPENC2C_ACCESS_ID: 'npm', OPENC2C_ACCESS_KEY: 'npm-start-key-1234' }
    delete env.DATABASE_URL
    // Its own process group, so that npm, its shell and node all stop together.
    const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    try {
      const baseUrl = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          const match = /"address":"(http:\/\/[^"]+)".*"msg":"openc2c listening"/.exec(output)
          if (match) resolve(match[1]!)
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
      })
      const res = await fetch(`${baseUrl}/api/v1/collectors`, { headers: { authorization: `Basic ${Buffer.from('npm:npm-start-key-1234').toString('base64')}` } })
      expect(res.status, output).toBe(200)
    } finally {
      process.kill(-child.pid!, 'SIGTERM')
      await new Promise((r) => child.once('exit', r))
      // npm can exit before the node it started has closed the database: removing the data dir then
      // races the files PGlite still writes. Wait for the whole process group to be gone.
      await groupGone(child.pid!)
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('npm start with DATABASE_URL', () => {
  it('refuses to start without OPENC2C_SECRET_KEY and says why', async () => {
    const run = await runService({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres', OPENC2C_DATA_DIR: dataDir })
    expect(run.code).toBe(2)
    expect(run.output).toContain('OPENC2C_SECRET_KEY is required with DATABASE_URL')
  })
})

