// The Compliance client's timeouts against the fake Logs Platform, with timeouts shrunk to
// milliseconds: the headers timeout bounds only the wait for a response, so a body that keeps
// sending may take longer than it; a body that goes silent fails on the idle timeout instead.
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ComplianceClient, type ComplianceClientOptions } from '../../../../api/sources/chatgpt-compliance/client.js'
import { SlidingWindowLimiter } from '../../../../api/shared/rate-limiter.js'
import { SourceRunError } from '../../../../api/sources/source-run-error.js'
import { type FakeCompliance, startFakeCompliance } from '../../../fakes/chatgpt/index.js'

// Wide enough apart that a loaded test machine doesn't blur them: steady chunks come every 40 ms.
const HEADERS_MS = 250
const BODY_IDLE_MS = 600

let dir: string
let fake: FakeCompliance
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'openc2c-client-'))
})
afterEach(async () => {
  await fake?.close()
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

function client(retries: Error[], options: Partial<ComplianceClientOptions> = {}): ComplianceClient {
  return new ComplianceClient({
    baseUrl: fake.baseUrl,
    workspaceId: fake.workspaceId,
    apiKey: fake.apiKey,
    limiter: new SlidingWindowLimiter(0),
    signal: new AbortController().signal,
    retry: { baseMs: 1, capMs: 1, attempts: 2, maxRetryAfterMs: 300_000 },
    timeouts: { headersMs: HEADERS_MS, bodyIdleMs: BODY_IDLE_MS },
    onRetry: (_route, error) => retries.push(error),
    ...options,
  })
}

describe('ComplianceClient timeouts', () => {
  it('a slow but steady download that outlasts the headers timeout completes and verifies', async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 20)
    const body = fake.fileBody(file!.id)
    // 20 chunks, 40 ms apart: the body takes over three headers timeouts, and never pauses for an idle one.
    const chunkBytes = Math.ceil(body.length / 20)
    fake.slowNext('signed', { chunkBytes, delayMs: 40 })
    const retries: Error[] = []
    const destination = path.join(dir, 'slow.jsonl')
    const started = Date.now()
    await client(retries).downloadLogFile(file!, destination)
    // The premise, not a speed check: the fake's pauses alone outlast the headers timeout.
    expect(Date.now() - started).toBeGreaterThan(2 * HEADERS_MS)
    expect(retries).toEqual([])
    expect(fake.requestsTo('signed')).toHaveLength(1)
    const stored = await fs.readFile(destination)
    expect(crypto.createHash('sha256').update(stored).digest('hex')).toBe(file!.file_sha256)
  })

  it('a download whose body stalls fails on the idle timeout, and is fetched again', async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 20)
    // The first chunk arrives, then nothing for longer than the idle timeout.
    fake.slowNext('signed', { chunkBytes: 64, delayMs: 2 * BODY_IDLE_MS })
    const retries: Error[] = []
    await client(retries).downloadLogFile(file!, path.join(dir, 'stalled-once.jsonl'))
    expect(retries.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`no data for ${BODY_IDLE_MS} ms`))])
    expect(fake.requestsTo('signed')).toHaveLength(2)
  })

  it('a download that keeps stalling ends the run as ThirdPartyGeneric', async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 20)
    fake.slowNext('signed', { chunkBytes: 64, delayMs: 2 * BODY_IDLE_MS }, 2)
    const error = await client([]).downloadLogFile(file!, path.join(dir, 'stalled.jsonl')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SourceRunError)
    expect(error).toMatchObject({ errorType: 'ThirdPartyGeneric', errorCode: 'body.broken' })
    expect((error as Error).message).toMatch(/no data for/)
  })

  it('a slow listing body is read past the headers timeout; a stalled one fails on the idle timeout', async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    fake.addGeneratedFiles('AUDIT_LOG', 3, 5)
    const after = '2000-01-01T00:00:00.000000Z'
    fake.slowNext('list', { chunkBytes: 64, delayMs: 40 })
    const retries: Error[] = []
    const page = await client(retries).listLogFiles('AUDIT_LOG', after)
    expect(page.data).toHaveLength(3)
    expect(retries).toEqual([])

    fake.slowNext('list', { chunkBytes: 16, delayMs: 2 * BODY_IDLE_MS }, 2)
    const error = await client([]).listLogFiles('AUDIT_LOG', after).catch((e: unknown) => e)
    expect(error).toMatchObject({ errorType: 'ThirdPartyGeneric', errorCode: 'body.broken' })
    expect((error as Error).message).toMatch(/no data for/)
  })

  it('no response headers within the headers timeout is a retried timeout', async () => {
    fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
    const [file] = fake.addGeneratedFiles('AUDIT_LOG', 1, 5)
    // A listener that accepts the connection and never answers.
    const http = await import('node:http')
    const silent = http.createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as { port: number }).port
      const retries: Error[] = []
      const c = client(retries, { baseUrl: `http://127.0.0.1:${port}/v1` })
      const error = await c.downloadLogFile(file!, path.join(dir, 'silent.jsonl')).catch((e: unknown) => e)
      expect(error).toMatchObject({ errorType: 'ThirdPartyGeneric', errorCode: 'timeout' })
      expect(retries.map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`no response within ${HEADERS_MS} ms`))])
    } finally {
      silent.closeAllConnections()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
