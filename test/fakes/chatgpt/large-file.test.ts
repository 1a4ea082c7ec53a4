import { createHash } from 'node:crypto'
import { get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance } from './fake-compliance.js'
import { generatedFileEventIds } from './log-file-body.js'
import { signedUrlFor } from './test-support.js'

// 1 GiB by default (about 2 s to register and 5 s to stream in-process on 2 cores);
// OPENC2C_FAKE_LARGE_FILE_MIB=256 shrinks it for slow machines.
const MIB = 1024 * 1024
const FILE_BYTES = Number(process.env.OPENC2C_FAKE_LARGE_FILE_MIB ?? 1024) * MIB
const BYTES_PER_EVENT = 64 * 1024
const EVENT_COUNT = Math.ceil(FILE_BYTES / BYTES_PER_EVENT)
// A fake that buffered the body would grow by the whole file; streaming stays far below this.
const RSS_GROWTH_LIMIT = Math.min(256 * MIB, FILE_BYTES * 0.75)

let fake: FakeCompliance
beforeAll(async () => {
  fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
})
afterAll(() => fake.close())

describe('generated large file', () => {
  it('is registered and served by streaming, with bounded memory', async () => {
    const rssBefore = process.memoryUsage().rss
    const info = fake.addLogFile('CODEX_LOG', { generate: { count: EVENT_COUNT, seed: 77, bytesPerEvent: BYTES_PER_EVENT } })
    expect(info.file_size).toBe(EVENT_COUNT * BYTES_PER_EVENT)
    expect(info.generated).toBe(true)
    let peakRss = process.memoryUsage().rss

    const url = await signedUrlFor(fake, info.id)
    const received = await new Promise<{ bytes: number; sha256: string; declared: number; firstLine: string }>((resolve, reject) => {
      get(url, (res) => {
        const hash = createHash('sha256')
        let bytes = 0
        let head = ''
        res.on('data', (chunk: Buffer) => {
          hash.update(chunk)
          bytes += chunk.length
          if (head.length < 4096) head += chunk.subarray(0, 4096).toString('latin1')
          // Sampling every chunk is cheap next to hashing it.
          const rss = process.memoryUsage().rss
          if (rss > peakRss) peakRss = rss
        })
        res.on('end', () => resolve({ bytes, sha256: hash.digest('hex'), declared: Number(res.headers['content-length']), firstLine: head.split('\n')[0] ?? '' }))
        res.on('error', reject)
      }).on('error', reject)
    })

    expect(received.declared).toBe(info.file_size)
    expect(received.bytes).toBe(info.file_size)
    expect(received.sha256).toBe(info.file_sha256)
    expect(peakRss - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT)

    // The expected ids come from the seed alone; the first served event is the first predicted id.
    const ids = [...generatedFileEventIds({ seed: 77, count: EVENT_COUNT })]
    expect(new Set(ids).size).toBe(EVENT_COUNT)
    expect(fake.expectedEventIds('CODEX_LOG')).toEqual(new Set(ids))
    expect(received.firstLine.slice(0, 60)).toContain(`"event_id":"${ids[0]}"`)
  })
})
