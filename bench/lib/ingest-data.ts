// The data set of `npm run bench:ingest`: files of generated events for all seven event types a
// ChatGPT Compliance source collects, shaped like the real platform's (natural event sizes, about
// 0.5–2 KiB each), published on the in-process fake. Conversation messages are the bulk, as in a
// real workspace.
//
// The bodies are generated once and published as bytes: the fake's on-the-fly generator serves
// natural-size events at only ~28 MB/s (measured), which would make both legs measure the fake;
// stored bytes are served at ~300 MB/s.
import { type ComplianceEventType, type FakeCompliance, type LogFileInfo, startFakeCompliance } from '../../test/fakes/chatgpt/index.js'

/** Sumo short name → upstream type, and its share of the events. */
export const BENCH_TYPES: { short: string; type: ComplianceEventType; share: number }[] = [
  { short: 'CONVERSATION', type: 'CONVERSATION_MESSAGE', share: 0.4 },
  { short: 'CODEX', type: 'CODEX_LOG', share: 0.2 },
  { short: 'AUDIT', type: 'AUDIT_LOG', share: 0.1 },
  { short: 'AUTH', type: 'AUTH_LOG', share: 0.1 },
  { short: 'APP', type: 'APP_LOG', share: 0.1 },
  { short: 'APP_AUTH', type: 'APP_AUTH_LOG', share: 0.05 },
  { short: 'CODEX_SECURITY', type: 'CODEX_SECURITY_LOG', share: 0.05 },
]

export interface BenchData {
  files: LogFileInfo[]
  events: number
  bytes: number
}

/** About `events` events in files of at most `eventsPerFile`, end times over the last day. */
export async function publishBenchData(fake: FakeCompliance, events: number, eventsPerFile: number): Promise<BenchData> {
  const generator = await startFakeCompliance({ seed: 7, rateLimitPerMinute: 0 })
  const files: LogFileInfo[] = []
  try {
    for (const { type, share } of BENCH_TYPES) {
      const total = Math.round(events * share)
      const count = Math.max(1, Math.ceil(total / eventsPerFile))
      for (const generated of generator.addGeneratedFiles(type, count, Math.ceil(total / count), { intervalSeconds: 86_400 / count })) {
        files.push(fake.addLogFile(type, { raw: generator.fileBody(generated.id) }, { endTime: generated.end_time, id: generated.id }))
      }
    }
  } finally {
    await generator.close()
  }
  return { files, events: files.reduce((n, f) => n + f.eventCount, 0), bytes: files.reduce((n, f) => n + f.file_size, 0) }
}
