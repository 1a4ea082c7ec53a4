// One run of a ChatGPT Compliance source on the Logs Platform (docs/logs-platform.md §6).
// For each enabled event type (one stream each): list the files after the cursor (30 days back on
// the first run), download each (307 → signed URL, no Authorization), verify size and sha256,
// stream-parse it, and commit its events in batches. Each batch commits the events, the quarantined
// records and the cursor together, so a crash loses nothing and re-delivers nothing: on resume the
// cursor says which file was in progress and how many of its records are already stored.
import fs from 'node:fs/promises'
import path from 'node:path'
import type { SlidingWindowLimiter } from '../../shared/rate-limiter.js'
import type { EventToStore, RecordToQuarantine } from '../../store/ingest-repository.js'
import { SourceRunError } from '../source-run-error.js'
import type { SourceRunContext } from '../source-type.js'
import { ComplianceClient, type LogFile } from './client.js'
import { effectiveChatGptConfig } from './config.js'
import { advanceCursor, type Cursor, cursorFrom, finishFile, inFile } from './cursor.js'
import type { ChatGptMetrics } from './metrics.js'
import { quarantinePosition, readRecords } from './records.js'
import type { ChatGptSettings } from './settings.js'
import { compareTimestamps, timestampMicros } from './timestamps.js'

export interface ChatGptRunDeps {
  settings: ChatGptSettings
  limiter: SlidingWindowLimiter
  metrics: ChatGptMetrics
}

export async function runChatGptCompliance(ctx: SourceRunContext, deps: ChatGptRunDeps): Promise<void> {
  const config = effectiveChatGptConfig(ctx.source.config, ctx.secrets)
  if (!config.apiKey) throw new SourceRunError('ThirdPartyConfig', 'config.apiKey', 'no API key is stored for this source; update it with the key')
  await ctx.advanceState('Initialized')

  const client = new ComplianceClient({
    baseUrl: deps.settings.baseUrl,
    workspaceId: config.workspaceId,
    apiKey: config.apiKey,
    limiter: deps.limiter,
    signal: ctx.signal,
    retry: ctx.settings.retry,
    timeouts: ctx.settings.timeouts,
    onResponse: (route, status) => ctx.upstreamResponse(route, status),
    onRetry: (route, error, waitMs) => {
      ctx.logger.warn({ route, err: error.message, waitMs }, 'upstream call failed; retrying')
      ctx.recordError({ type: 'retried', message: `${route}: ${error.message}` })
    },
  })
  const run = new EventTypeCollector(ctx, deps, client, await ctx.scratchDir())
  for (const eventType of config.upstreamEventTypes) await run.collect(eventType)
}

/** Collects one event type's files; the event type is the stream its cursor is stored under. */
class EventTypeCollector {
  #authenticated = false

  constructor(
    private readonly ctx: SourceRunContext,
    private readonly deps: ChatGptRunDeps,
    private readonly client: ComplianceClient,
    private readonly spoolDir: string,
  ) {}

  async collect(eventType: string): Promise<void> {
    const { ctx } = this
    let cursor = cursorFrom(await ctx.loadPosition(eventType), this.deps.settings.initialLookbackDays)
    for (;;) {
      ctx.signal.throwIfAborted()
      const page = await this.client.listLogFiles(eventType, cursor.after)
      if (!this.#authenticated) {
        this.#authenticated = true
        await ctx.advanceState('Authenticated')
        await ctx.advanceState('Collecting')
      }
      // Paging must move forward; otherwise a misbehaving upstream would loop this run forever.
      if (page.has_more && (page.last_end_time === null || compareTimestamps(page.last_end_time, cursor.after) <= 0)) {
        throw new SourceRunError('ThirdPartyGeneric', 'list.stalled', `listing after ${cursor.after} says has_more but last_end_time is ${page.last_end_time}`)
      }
      const done = new Set(cursor.doneFiles.map((f) => f.id))
      const files = page.data.filter((f) => !done.has(f.id))
      for (let i = 0; i < files.length; i++) {
        // A file whose end_time is shared by a later one can't move `after` past that time yet, or an
        // exclusive listing would skip its twin if this run stopped in between.
        const tiedWithNext = files.slice(i + 1).some((f) => compareTimestamps(f.end_time, files[i]!.end_time) === 0)
        cursor = await this.ingestFile(eventType, files[i]!, cursor, tiedWithNext)
      }
      if (page.last_end_time !== null && compareTimestamps(page.last_end_time, cursor.after) > 0) {
        cursor = advanceCursor(cursor, page.last_end_time)
        await ctx.savePosition(eventType, cursor)
      }
      if (!page.has_more) return
    }
  }

  async ingestFile(eventType: string, file: LogFile, cursor: Cursor, tiedWithNext: boolean): Promise<Cursor> {
    const { ctx } = this
    const resumeFrom = cursor.inProgress?.id === file.id ? cursor.inProgress.recordsDone : 0
    const spoolFile = path.join(this.spoolDir, `${file.id.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`)
    try {
      await this.client.downloadLogFile(file, spoolFile)
      let recordIndex = 0
      let events: EventToStore[] = []
      let quarantined: RecordToQuarantine[] = []
      let bytes = 0
      let newest: string | undefined
      const commit = async (complete: boolean) => {
        const next = complete ? finishFile(cursor, file, tiedWithNext) : inFile(cursor, file, recordIndex)
        await ctx.commit({
          stream: eventType,
          origin: file.id,
          events,
          quarantined,
          position: next,
          originsCompleted: complete ? 1 : 0,
          newestEventAt: newest,
        })
        if (complete) this.deps.metrics.filesProcessed.inc({ source_id: String(ctx.source.id), event_type: eventType })
        cursor = next
        events = []
        quarantined = []
        bytes = 0
        newest = undefined
      }
      const receivedAt = new Date().toISOString()
      for await (const record of readRecords(spoolFile)) {
        recordIndex++
        if (recordIndex <= resumeFrom) continue
        if (record.kind === 'event') {
          const micros = record.timestamp === undefined ? undefined : timestampMicros(record.timestamp)
          const occurredAt = micros === undefined ? receivedAt : microsToIso(micros)
          events.push({ eventId: record.eventId, type: eventType, occurredAt, raw: record.raw })
          if (newest === undefined || occurredAt > newest) newest = occurredAt
        } else {
          ctx.logger.warn({ fileId: file.id, line: record.lineNumber, part: record.part, reason: record.reason }, 'quarantined a malformed record')
          quarantined.push({ position: quarantinePosition(record), reason: record.reason, raw: record.raw, rawBytes: record.rawBytes })
        }
        bytes += record.raw.length
        if (events.length + quarantined.length >= ctx.settings.batch.maxRecords || bytes >= ctx.settings.batch.maxBytes) {
          await commit(false)
        }
      }
      await commit(true)
      return cursor
    } finally {
      await fs.rm(spoolFile, { force: true })
    }
  }
}

function microsToIso(micros: bigint): string {
  const ms = Number(micros / 1000n)
  const rest = Number(((micros % 1000n) + 1000n) % 1000n)
  return new Date(ms).toISOString().replace('Z', `${String(rest).padStart(3, '0')}Z`)
}
