// `npm run demo -- --once`: the one-command demo starts the fake and the service, collects every
// event type, delivers them to a file destination and a fake Splunk HEC, shows progress per type
// and per destination, sample events and curl commands, and exits 0 only when every published event
// was stored and delivered. The demo always uses embedded PGlite in a temporary directory,
// which it removes at exit.
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../../helpers/service.js'

const SHORT_TYPES = ['CONVERSATION', 'CODEX', 'CODEX_SECURITY', 'AUDIT', 'APP', 'AUTH', 'APP_AUTH']

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples/demo/run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

describe('npm run demo', () => {
  it('--once collects all 7 event types, delivers them to two destinations, prints progress, events and curl commands, and cleans up', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runDemo(['--once', '--port', '0', '--days', '1', '--files-per-day', '2', '--events-per-file', '15'])
    expect(stderr).toBe('')
    expect(code).toBe(0)

    // 7 types × 2 files × 15 events, all stored.
    expect(stdout).toMatch(/14 files, 210 events over 1 day\(s\), 7 event types/)
    expect(stdout).toMatch(/run \d+ succeeded: 14 files, 210 events stored, 0 duplicates skipped, 0 quarantined/)
    expect(stdout).toContain('stored 210 of the 210 events the fake published — all of them')
    // Progress: at least one state change, and the last progress line shows 30 events of every type.
    expect(stdout).toMatch(/state Pending → \w+/)
    const progress = stdout.split('\n').filter((l) => l.includes('per type:'))
    expect(progress.length).toBeGreaterThan(0)
    for (const type of SHORT_TYPES) expect(progress.at(-1)).toMatch(new RegExp(`(^|[: ])${type} 30( ·|$)`))

    // Delivery: progress per destination, and everything delivered to both.
    const delivery = stdout.split('\n').filter((l) => l.includes('] destinations: '))
    expect(delivery.length).toBeGreaterThan(0)
    expect(delivery.at(-1)).toMatch(/files 210 delivered, 0 waiting .* · splunk 210 delivered, 0 waiting/)
    expect(stdout).toContain('delivered 210 to files and 210 to splunk — all of them; the Splunk fake holds 210 events')

    // Three stored events with their metadata, and working-looking curl commands with credentials.
    const samples = stdout.split('\n').filter((l) => /^ {2}[0-9a-f-]{36} {2}[A-Z_]+ {2}\d{4}-/.test(l))
    expect(samples).toHaveLength(3)
    expect(samples[0]).toContain('"_collector":"chatgpt-demo"')
    const base = /service {13}(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
    expect(base).toBeDefined()
    for (const route of ['/runs', '/events?limit=5', '/quarantine', '/action/restart', '/destinations', '/metrics']) {
      expect(stdout).toMatch(new RegExp(`curl -s -u 'demo:[^']+' .*${base!.replace(/[.]/g, '\\.')}.*${route.replace(/[?]/g, '\\?')}`))
    }

    // The temporary data directory is gone.
    const dataDir = /embedded PGlite in (\S+) …/.exec(stdout)?.[1]
    expect(dataDir).toMatch(/openc2c-demo-/)
    await expect(fs.access(dataDir!)).rejects.toThrow()
  })
})
