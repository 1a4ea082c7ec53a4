// Metrics only this type has: log files are a Logs Platform notion.
import { Counter, type Registry } from 'prom-client'

export interface ChatGptMetrics {
  filesProcessed: Counter<'source_id' | 'event_type'>
}

export function createChatGptMetrics(registry: Registry): ChatGptMetrics {
  return {
    filesProcessed: new Counter({
      name: 'openc2c_files_processed_total',
      help: 'Compliance log files downloaded, verified and stored, per source and upstream event type',
      labelNames: ['source_id', 'event_type'] as const,
      registers: [registry],
    }),
  }
}
