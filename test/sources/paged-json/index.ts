// "Paged JSON": a source type that exists only in the tests, to prove the source seam. Its upstream is
// a plain paged JSON API with an opaque cursor (test/fakes/paged-api/), not a file listing. It lives
// entirely here: adding it to a service touches nothing under api/ except the list of types the
// service is built with (buildService's `sourceTypes` option).
import { Type } from '@sinclair/typebox'
import { Counter } from 'prom-client'
import type { EnvReader } from '../../../api/shared/env.js'
import { HttpClient, RetryableError } from '../../../api/shared/http-client.js'
import { SourceRunError } from '../../../api/sources/source-run-error.js'
import type { SourceRunContext, SourceTypeDefinition } from '../../../api/sources/source-type.js'
import type { EventToStore, RecordToQuarantine } from '../../../api/store/ingest-repository.js'

export const PAGED_JSON_TYPE = 'Paged JSON'
const STREAM = 'items'

export const PagedJsonConfig = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    category: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Record(Type.String(), Type.String())),
    baseUrl: Type.String({ pattern: '^https?://' }),
    token: Type.String({ minLength: 1 }),
    pollingIntervalHour: Type.Optional(Type.String({ pattern: '^([1-9]|1[0-9]|2[0-4])h$' })),
  },
  { $id: 'PagedJsonConfig', additionalProperties: false },
)

interface PagedSettings {
  pageLimit: number
}

interface Position {
  cursor: string | null
}

export const pagedJsonSourceType: SourceTypeDefinition<PagedSettings> = {
  type: PAGED_JSON_TYPE,
  configSchema: PagedJsonConfig,
  secretKeys: ['token'],
  checkConfig: () => [],
  pollingIntervalHours: (config) => parseInt(String(config.pollingIntervalHour ?? '1h'), 10),
  readSettings: (env: EnvReader) => ({ pageLimit: env.integer('OPENC2C_TEST_PAGED_PAGE_LIMIT', 50, 1, 100) }),
  createRunner(settings, registry) {
    const pages = new Counter({ name: 'openc2c_test_paged_pages_total', help: 'Pages read by the Paged JSON test type', labelNames: ['source_id'] as const, registers: [registry] })
    return async (ctx) => {
      await runPaged(ctx, settings, () => pages.inc({ source_id: String(ctx.source.id) }))
    }
  },
}

async function runPaged(ctx: SourceRunContext, settings: PagedSettings, onPage: () => void): Promise<void> {
  const config = ctx.source.config as { baseUrl: string }
  const http = new HttpClient({
    signal: ctx.signal,
    timeouts: ctx.settings.timeouts,
    retry: { ...ctx.settings.retry, maxThrottledWaits: 20 },
    onResponse: (route, status) => ctx.upstreamResponse(route, status),
    onRetry: (route, error) => ctx.recordError({ type: 'retried', message: `${route}: ${error.message}` }),
    giveUp: (error, reason) => new SourceRunError('ThirdPartyGeneric', error.code, `${error.message} (${reason})`),
  })
  await ctx.advanceState('Initialized')
  let position = ((await ctx.loadPosition(STREAM)) as Position | undefined) ?? { cursor: null }
  for (let first = true; ; first = false) {
    ctx.signal.throwIfAborted()
    const query = new URLSearchParams({ limit: String(settings.pageLimit), ...(position.cursor !== null ? { cursor: position.cursor } : {}) })
    const page = await http.withRetries('items', async () => {
      const res = await http.send('items', `${config.baseUrl}/items?${query}`, { headers: { authorization: `Bearer ${ctx.secrets.token}` } })
      const text = await http.readText('items', res)
      if (res.status === 401 || res.status === 403) throw new SourceRunError('ThirdPartyConfig', `http.${res.status}`, `items answered ${res.status}: check the token`)
      if (res.status >= 500) throw new RetryableError(`items answered ${res.status}`, `http.${res.status}`)
      if (res.status !== 200) throw new SourceRunError('ThirdPartyGeneric', `http.${res.status}`, `items answered ${res.status}: ${text.slice(0, 200)}`)
      return JSON.parse(text) as { items: unknown[]; next_cursor: string; has_more: boolean }
    })
    onPage()
    if (first) {
      await ctx.advanceState('Authenticated')
      await ctx.advanceState('Collecting')
    }
    const events: EventToStore[] = []
    const quarantined: RecordToQuarantine[] = []
    let newest: string | undefined
    page.items.forEach((item, i) => {
      const raw = JSON.stringify(item)
      const record = item as { id?: unknown; kind?: unknown; at?: unknown }
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        quarantined.push({ position: `item ${i + 1}`, reason: 'not a JSON object', raw, rawBytes: Buffer.byteLength(raw) })
      } else if (typeof record.id !== 'string' || record.id === '') {
        quarantined.push({ position: `item ${i + 1}`, reason: 'no id', raw, rawBytes: Buffer.byteLength(raw) })
      } else {
        const occurredAt = typeof record.at === 'string' && !Number.isNaN(Date.parse(record.at)) ? record.at : new Date().toISOString()
        events.push({ eventId: record.id, type: typeof record.kind === 'string' ? record.kind : 'ITEM', occurredAt, raw })
        if (newest === undefined || occurredAt > newest) newest = occurredAt
      }
    })
    const next: Position = { cursor: page.next_cursor }
    await ctx.commit({ stream: STREAM, origin: position.cursor ?? 'start', events, quarantined, position: next, originsCompleted: 1, newestEventAt: newest })
    position = next
    if (!page.has_more) return
  }
}
