// Content for demos: a few days of history for every event type, then (optionally) new files on a timer,
// the way the real platform keeps appending files for each type.

import { COMPLIANCE_EVENT_TYPES, type ComplianceEventType } from './event-types.js'
import type { AddLogFileOptions, FakeCompliance, LogFileInfo } from './fake-compliance.js'

export interface DemoHistoryOptions {
  days: number
  filesPerDay: number
  eventsPerFile: number
  types?: readonly ComplianceEventType[]
}

/** Files for every type spread over the last `days` days, the newest ending now. Clean content (no faults). */
export function seedDemoHistory(fake: FakeCompliance, opts: DemoHistoryOptions): LogFileInfo[] {
  const fileCount = Math.max(0, Math.round(opts.days * opts.filesPerDay))
  const intervalSeconds = 86_400 / Math.max(1, opts.filesPerDay)
  return (opts.types ?? COMPLIANCE_EVENT_TYPES).flatMap((type) =>
    fake.addGeneratedFiles(type, fileCount, opts.eventsPerFile, { intervalSeconds, spanSeconds: Math.min(300, intervalSeconds) }),
  )
}

/** Content faults applied to periodically published files. */
export interface PublishedFileFaults extends Pick<AddLogFileOptions, 'format' | 'finalNewline' | 'repeatEvents' | 'lateEvents' | 'malformedLines'> {
  /** Every Nth published file (counted across types) is listed with a wrong sha256. 0 = never. */
  wrongSha256Every?: number
}

export interface PeriodicPublishingOptions {
  everySeconds: number
  eventsPerFile: number
  types?: readonly ComplianceEventType[]
  fileFaults?: PublishedFileFaults
  onPublish?: (file: LogFileInfo) => void
  /** A file that could not be built (e.g. repeatEvents before enough events exist); publishing goes on. */
  onError?: (type: ComplianceEventType, error: Error) => void
}

export interface PeriodicPublisher {
  stop(): void
}

/** Every `everySeconds`, one new file per type ending now. */
export function startPeriodicPublishing(fake: FakeCompliance, opts: PeriodicPublishingOptions): PeriodicPublisher {
  const { wrongSha256Every = 0, ...contentFaults } = opts.fileFaults ?? {}
  let published = 0
  const publishOnce = (): void => {
    for (const type of opts.types ?? COMPLIANCE_EVENT_TYPES) {
      published++
      try {
        const info = fake.addLogFile(
          type,
          { generate: { count: opts.eventsPerFile, spanSeconds: Math.min(300, opts.everySeconds) } },
          { ...contentFaults, wrongSha256: wrongSha256Every > 0 && published % wrongSha256Every === 0 },
        )
        opts.onPublish?.(info)
      } catch (err) {
        opts.onError?.(type, err instanceof Error ? err : new Error(String(err)))
      }
    }
  }
  const timer = setInterval(publishOnce, opts.everySeconds * 1000)
  return { stop: () => clearInterval(timer) }
}
