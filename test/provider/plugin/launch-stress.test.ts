// Launches the built provider 100 times the way Terraform does (fresh P-521 client certificate, fresh
// server certificate, mTLS, health check, Shutdown). A run like this is what found a certificate serial
// that OpenSSL refused about once in 158 launches (plugin/certificate.ts); any failed launch, or a launch that
// leaves its socket behind, fails the test. Timings are printed for information only.

import { describe, expect, it } from 'vitest'
import { builtProvider } from '../helpers/built-provider.js'
import { call, launchProvider } from '../helpers/plugin-client.js'

const LAUNCHES = 100
// Two at a time: the machine has 2 cores, and Terraform itself starts providers one phase at a time.
const CONCURRENCY = 2

describe('launch stress', () => {
  it(`launches, connects over mTLS and shuts down ${LAUNCHES} times without a failure`, async () => {
    const { executable } = await builtProvider()
    const failures: string[] = []
    const handshakeMs: number[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < LAUNCHES) {
        const index = next++
        try {
          const plugin = await launchProvider(executable)
          handshakeMs.push(plugin.handshakeMs)
          const health = await call<{ status: string }>(plugin.health, 'Check', { service: 'plugin' })
          if (health.status !== 'SERVING') throw new Error(`health ${health.status}`)
          const exit = await plugin.shutdown()
          if (exit.code !== 0) throw new Error(`exit ${exit.code} ${exit.signal}; stderr ${plugin.stderr.join('\n')}`)
          if (exit.leftovers.length > 0) throw new Error(`left ${exit.leftovers.join(', ')} behind`)
        } catch (error) {
          failures.push(`launch ${index}: ${(error as Error).message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const sorted = [...handshakeMs].sort((a, b) => a - b)
    const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN)
    console.info(`launch stress: ${LAUNCHES} launches, ${failures.length} failed; spawn→handshake p50 ${at(0.5)} ms, p95 ${at(0.95)} ms (2 at a time)`)
    expect(failures).toEqual([])
  }, 180_000)
})
