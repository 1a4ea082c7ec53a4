import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CliUsageError, parseCliOptions } from './cli-options.js'

describe('parseCliOptions', () => {
  it('reads flags, falls back to FAKE_CHATGPT_* variables, and lets flags win', () => {
    const config = parseCliOptions(
      ['--port', '8123', '--publish-every', '5', '--inclusive-boundary', '--fail-next', 'list:503:2', '--fail-next', 'signed:500', '--slow', 'signed:512:10', '--truncate', 'signed'],
      { FAKE_CHATGPT_PORT: '9999', FAKE_CHATGPT_SIGNED_PORT: '8124', FAKE_CHATGPT_RATE_LIMIT: '0', FAKE_CHATGPT_CONCATENATED: '1', FAKE_CHATGPT_RATE_LIMIT_NEXT: 'download:3:1 list:1' },
    )
    expect(config.fake).toMatchObject({ port: 8123, signedPort: 8124, rateLimitPerMinute: 0, faults: { inclusiveBoundary: true, expireNextSignedUrls: 0, errorStyle: 'fastapi' } })
    expect(config.publishEverySeconds).toBe(5)
    expect(config.fileFaults).toMatchObject({ format: 'concatenated' })
    expect(config.failNext).toEqual([
      { route: 'list', status: 503, count: 2 },
      { route: 'signed', status: 500, count: 1 },
    ])
    expect(config.rateLimitNext).toEqual([
      { route: 'download', retryAfterSeconds: 3, count: 1 },
      { route: 'list', retryAfterSeconds: 1, count: 1 },
    ])
    expect(config.slow).toEqual([{ route: 'signed', chunkBytes: 512, delayMs: 10, count: Infinity }])
    expect(config.truncate).toEqual([{ route: 'signed', count: 1 }])
  })

  it('rejects bad values with a usage error', () => {
    const bad = [['--port', 'eighty'], ['--fail-next', 'list:418'], ['--fail-next', 'nowhere:500'], ['--scopes', 'AUDIT_LOG,CHAT'], ['--slow', 'download:1:1'], ['--bogus']]
    for (const argv of bad) expect(() => parseCliOptions(argv, {}), argv.join(' ')).toThrow(CliUsageError)
  })
})

describe('npm run fake-chatgpt (main.ts)', () => {
  it('prints one JSON line with what a collector needs, serves it, and stops cleanly on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--history-days', '1', '--files-per-day', '2', '--seed', '9'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve)
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)))
      })
      const info = JSON.parse(firstLine)
      expect(Object.keys(info).sort()).toEqual(['apiKey', 'baseUrl', 'organizationId', 'port', 'signedOrigin', 'signedPort', 'workspaceId'])
      const res = await fetch(`${info.baseUrl}/compliance/workspaces/${info.workspaceId}/logs?event_type=CUSTOM_AGENTS_LOG&after=2000-01-01T00:00:00Z`, {
        headers: { authorization: `Bearer ${info.apiKey}` },
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2)
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exit).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
