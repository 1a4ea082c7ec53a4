// Two fake Compliance APIs with identical content (same seed, same files in the same order with the
// same end times, so the same ids, bytes and checksums), one per service process. Each process is
// pointed at its own twin, so each twin's request log is exactly one process's upstream traffic:
// a request can be attributed to the process that made it.
import { type ComplianceEventType, type FakeCompliance, startFakeCompliance } from '../../fakes/chatgpt/index.js'

export interface TwinFakes {
  fakes: [FakeCompliance, FakeCompliance]
  /** Publishes `fileCount` files of `eventsPerFile` events of `type` on both twins. */
  publish(type: ComplianceEventType, fileCount: number, eventsPerFile: number): void
  /** The slow-body fault on every file download of both twins, until cleared. */
  slowBodies(chunkBytes: number, delayMs: number): void
  close(): Promise<void>
}

export async function startTwinFakes(seed: number): Promise<TwinFakes> {
  const fakes: [FakeCompliance, FakeCompliance] = [
    await startFakeCompliance({ seed, rateLimitPerMinute: 0 }),
    await startFakeCompliance({ seed, rateLimitPerMinute: 0 }),
  ]
  // One clock reading for both, so the end times (and the ids and jitter drawn with them) agree.
  const firstEndTime = new Date(Date.now() - 6 * 60 * 60 * 1000)
  return {
    fakes,
    publish(type, fileCount, eventsPerFile) {
      for (const fake of fakes) fake.addGeneratedFiles(type, fileCount, eventsPerFile, { firstEndTime, intervalSeconds: 60 })
    },
    slowBodies(chunkBytes, delayMs) {
      for (const fake of fakes) fake.slowNext('signed', { chunkBytes, delayMs }, 1_000_000)
    },
    async close() {
      await Promise.all(fakes.map((f) => f.close()))
    },
  }
}
