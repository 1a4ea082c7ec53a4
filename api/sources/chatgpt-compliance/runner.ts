// One run of a ChatGPT Compliance source on the Logs Platform (spec/compliance-api.md §B, §D).
// For each enabled event type: list the files after the cursor (30 days back on the first run),
// download each (307 → signed URL, no Authorization), verify size and sha256, stream-parse it, and
// commit its events in batches. Each batch commits the events, the quarantined records and the
// cursor together, so a crash loses nothing and re-delivers nothing: on resume the cursor says
// which file was in progress and how many of its records are already stored.
import fs from 'node:fs/promises'
import path from 'node:path'
import { PRIVATE_DIR_MODE } from '../../store/data-dir.js'
import type { Cursor, EventToStore, RecordToQuarantine } from '../../store/ingest-repository.js'
import { SourceRunError } from '../source-errors.js'
import type { SourceRunContext } from '../source-type.js'
import { ComplianceClient, type LogFile } from './client.js'
import { effectiveChatGptConfig } from './config.js'
import { readRecords } from './records.js'
import { compareTimestamps, formatTimestamp, timestampMicros } from './timestamps.js'

const DAY_MS = 24 * 60 * 60 * 1000

export async function runChatGptCompliance(ctx: SourceRunContext): Promise<void> {
  const config = effectiveChatGptConfig(ctx.source.config, ctx.secrets)
  if (!config.apiKey) throw new SourceRunError('ThirdPartyConfig', 'config.apiKey', 'no API key is stored for this source; update it with the key')
  await ctx.advanceState('Initialized')

  const client = new ComplianceClient({
    baseUrl: ctx.settings.chatgptBaseUrl,
    workspaceId: config.workspaceId,
    apiKey: config.apiKey,
    limiter: ctx.settings.limiter,
    signal: ctx.signal,
    retry: ctx.settings.retry,
    timeouts: ctx.settings.timeouts,
    onResponse: (route, status) => ctx.metrics.upstreamResponses.inc({ route, status: String(status) }),
    onRetry: (route, error, waitMs) => {
      ctx.logger.warn({ route, err: error.message, waitMs }, 'upstream call failed; retrying')
      ctx.recordError({ type: 'retried', message: `${route}: ${error.message}` })
    },
  })
  const metadataId = await ctx.ingest.metadataId(ctx.source.id, eventMetadata(ctx))
  const spoolDir = path.join(ctx.settings.spoolDir, String(ctx.source.id))
  await fs.mkdir(spoolDir, { recursive: true, mode: PRIVATE_DIR_MODE })

  const run = new TypeCollector(ctx, client, metadataId, spoolDir)
  for (const eventType of config.upstreamEventTypes) await run.collect(eventType)
}

/** _source, _sourceCategory, _collector and the source's fields, as Sumo stamps them. */
function eventMetadata(ctx: SourceRunContext): Record<string, unknown> {
  const config = ctx.source.config as { name: string; category?: string; fields?: Record<string, unknown> }
  const metadata: Record<string, unknown> = { ...(config.fields ?? {}) }
  metadata._source = config.name
  if (config.category !== undefined) metadata._sourceCategory = config.category
  metadata._collector = ctx.collectorName
  return metadata
}

class TypeCollector {
  #authenticated = false

  constructor(
    private readonly ctx: SourceRunContext,
    private readonly client: ComplianceClient,
    private readonly metadataId: number,
    private readonly spoolDir: string,
  ) {}

  async collect(eventType: string): Promise<void> {
    const { ctx } = this
    let cursor: Cursor = (await ctx.ingest.loadCursor(ctx.source.id, eventType)) ?? {
      after: formatTimestamp(new Date(Date.now() - ctx.settings.initialLookbackDays * DAY_MS)),
      doneFiles: [],
      inProgress: null,
    }
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
        await ctx.ingest.saveCursor(ctx.lease, eventType, cursor)
      }
      if (!page.has_more) return
    }
  }

  async ingestFile(eventType: string, file: LogFile, cursor: Cursor, tiedWithNext: boolean): Promise<Cursor> {
    const { ctx } = this
    const resumeFrom = cursor.inProgress?.id === file.id ? cursor.inProgress.recordsDone : 0
    const spoolFile = path.join(this.spoolDir, `${file.id.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl`)
    const labels = { source_id: String(ctx.source.id), event_type: eventType }
    try {
      await this.client.downloadLogFile(file, spoolFile)
      let recordIndex = 0
      let events: EventToStore[] = []
      let quarantined: RecordToQuarantine[] = []
      let bytes = 0
      let newest: string | undefined
      const commit = async (complete: boolean) => {
        const next: Cursor = complete
          ? finishFile(cursor, file, tiedWithNext)
          : { ...cursor, inProgress: { id: file.id, endTime: file.end_time, recordsDone: recordIndex } }
        const result = await ctx.ingest.commit(ctx.lease, ctx.runId, {
          eventType,
          fileId: file.id,
          metadataId: this.metadataId,
          events,
          quarantined,
          cursor: next,
          filesCompleted: complete ? 1 : 0,
          newestEventAt: newest,
        })
        ctx.metrics.eventsStored.inc(labels, result.stored)
        ctx.metrics.duplicatesSkipped.inc(labels, result.duplicates)
        ctx.metrics.recordsQuarantined.inc(labels, result.quarantined)
        if (complete) ctx.metrics.filesProcessed.inc(labels)
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
          events.push({ eventId: record.eventId, occurredAt, raw: record.raw })
          if (newest === undefined || occurredAt > newest) newest = occurredAt
        } else {
          ctx.logger.warn({ fileId: file.id, line: record.lineNumber, part: record.part, reason: record.reason }, 'quarantined a malformed record')
          quarantined.push({ lineNumber: record.lineNumber, part: record.part, reason: record.reason, raw: record.raw, rawBytes: record.rawBytes })
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

/** The cursor after `file` is fully stored. */
function finishFile(cursor: Cursor, file: LogFile, tiedWithNext: boolean): Cursor {
  const doneFiles = [...cursor.doneFiles, { id: file.id, endTime: file.end_time }]
  const next = { after: cursor.after, doneFiles, inProgress: null }
  if (tiedWithNext || compareTimestamps(file.end_time, cursor.after) <= 0) return next
  return advanceCursor(next, file.end_time)
}

/** Moves `after`, keeping only done files at the new boundary (an inclusive listing re-lists them). */
function advanceCursor(cursor: Cursor, after: string): Cursor {
  return { after, doneFiles: cursor.doneFiles.filter((f) => compareTimestamps(f.endTime, after) >= 0), inProgress: cursor.inProgress }
}

function microsToIso(micros: bigint): string {
  const ms = Number(micros / 1000n)
  const rest = Number(((micros % 1000n) + 1000n) % 1000n)
  return new Date(ms).toISOString().replace('Z', `${String(rest).padStart(3, '0')}Z`)
}
