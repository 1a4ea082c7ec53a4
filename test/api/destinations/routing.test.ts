// Routing: which events reach which destination. Two collectors, sources with different categories
// and event types collecting from the fake Compliance API, and one fake webhook per destination. Each
// receiver must hold exactly the events its filter matches (each filter key alone and combined, the
// empty filter, startFrom "now"), once each. The expected sets come from this file's own model of the
// sources and filters, never from the service's selection code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ComplianceEventType } from '../../fakes/chatgpt/index.js'
import { compareDelivery, type FakeWebhook, startFakeWebhook } from '../../fakes/receivers/index.js'
import { type Collecting, makeDue, startCollecting } from '../../helpers/collecting.js'

const DELIVERY_ENV = { OPENC2C_DELIVERY_POLL_MS: '50', OPENC2C_DELIVERY_LINGER_MS: '0' }

/** The source's short event type names and the stored names they collect. */
const STORED_TYPE: Record<string, ComplianceEventType> = {
  CONVERSATION: 'CONVERSATION_MESSAGE',
  AUDIT: 'AUDIT_LOG',
  AUTH: 'AUTH_LOG',
  APP: 'APP_LOG',
  CODEX: 'CODEX_LOG',
}
const TYPES = Object.values(STORED_TYPE)

interface SourceModel {
  key: string
  collector: 'A' | 'B'
  category?: string
  shortTypes: string[]
  id?: number
  collectorId?: number
}

const SOURCES: SourceModel[] = [
  { key: 'a-conv', collector: 'A', category: 'chatgpt/conversations', shortTypes: ['CONVERSATION'] },
  { key: 'a-audit', collector: 'A', category: 'chatgpt/audit', shortTypes: ['AUDIT', 'AUTH'] },
  // LIKE's wildcards in a category: a filter must take them literally.
  { key: 'a-odd', collector: 'A', category: 'odd%cat_x', shortTypes: ['APP'] },
  { key: 'b-conv', collector: 'B', category: 'chatgpt/conversations', shortTypes: ['CONVERSATION'] },
  // What `odd%cat_%` would match if `%` and `_` were wildcards.
  { key: 'b-near', collector: 'B', category: 'oddAAcatBx', shortTypes: ['AUDIT', 'CODEX'] },
  { key: 'b-plain', collector: 'B', shortTypes: ['AUTH'] },
]

interface FilterModel {
  collectors?: ('A' | 'B')[]
  sources?: string[]
  sourceCategory?: string
  eventTypes?: string[]
}

interface DestinationCase {
  name: string
  filter?: FilterModel
  startFrom?: 'now'
  /** What the case is about, and what this file's model expects to match (a guard against a vacuous case). */
  expectSources: string[]
}

const CASES: DestinationCase[] = [
  { name: 'no-filter', expectSources: ['a-conv', 'a-audit', 'a-odd', 'b-conv', 'b-near', 'b-plain'] },
  { name: 'empty-filter', filter: {}, expectSources: ['a-conv', 'a-audit', 'a-odd', 'b-conv', 'b-near', 'b-plain'] },
  { name: 'collector-b', filter: { collectors: ['B'] }, expectSources: ['b-conv', 'b-near', 'b-plain'] },
  { name: 'both-collectors', filter: { collectors: ['A', 'B'] }, expectSources: ['a-conv', 'a-audit', 'a-odd', 'b-conv', 'b-near', 'b-plain'] },
  { name: 'two-sources', filter: { sources: ['a-conv', 'b-near'] }, expectSources: ['a-conv', 'b-near'] },
  { name: 'category-glob', filter: { sourceCategory: 'chatgpt/*' }, expectSources: ['a-conv', 'a-audit', 'b-conv'] },
  { name: 'category-exact', filter: { sourceCategory: 'chatgpt/audit' }, expectSources: ['a-audit'] },
  { name: 'category-star', filter: { sourceCategory: '*' }, expectSources: ['a-conv', 'a-audit', 'a-odd', 'b-conv', 'b-near'] },
  { name: 'category-like-chars-glob', filter: { sourceCategory: 'odd%cat_*' }, expectSources: ['a-odd'] },
  { name: 'category-like-chars-exact', filter: { sourceCategory: 'odd%cat_x' }, expectSources: ['a-odd'] },
  { name: 'category-inner-glob', filter: { sourceCategory: 'odd*x' }, expectSources: ['a-odd', 'b-near'] },
  { name: 'category-no-match', filter: { sourceCategory: 'odd_cat%x' }, expectSources: [] },
  { name: 'type-stored-name', filter: { eventTypes: ['AUDIT_LOG'] }, expectSources: ['a-audit', 'b-near'] },
  { name: 'type-short-names', filter: { eventTypes: ['CONVERSATION', 'AUTH'] }, expectSources: ['a-conv', 'a-audit', 'b-conv', 'b-plain'] },
  { name: 'type-mixed-names', filter: { eventTypes: ['CODEX_LOG', 'APP'] }, expectSources: ['a-odd', 'b-near'] },
  {
    name: 'collector-category-type',
    filter: { collectors: ['A'], sourceCategory: 'chatgpt/*', eventTypes: ['AUTH_LOG'] },
    expectSources: ['a-audit'],
  },
  {
    name: 'collector-sources-type',
    filter: { collectors: ['B'], sources: ['a-conv', 'b-conv', 'b-plain'], eventTypes: ['CONVERSATION', 'CODEX'] },
    expectSources: ['b-conv'],
  },
  { name: 'all-keys', filter: { collectors: ['B'], sources: ['b-near', 'b-plain'], sourceCategory: 'odd*', eventTypes: ['AUDIT'] }, expectSources: ['b-near'] },
  { name: 'disjoint-keys', filter: { collectors: ['A'], sources: ['b-near'] }, expectSources: [] },
  { name: 'now', startFrom: 'now', expectSources: ['a-conv', 'a-audit', 'a-odd', 'b-conv', 'b-near', 'b-plain'] },
  { name: 'now-audit', startFrom: 'now', filter: { eventTypes: ['AUDIT'] }, expectSources: ['a-audit', 'b-near'] },
]

/** A glob with `*` as its only wildcard, as a whole-string regular expression. */
function globMatches(glob: string, text: string | undefined): boolean {
  if (text === undefined) return false
  const pattern = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${pattern}$`, 's').test(text)
}

function storedTypesOf(names: string[]): Set<string> {
  return new Set(names.map((n) => STORED_TYPE[n] ?? n))
}

function matches(filter: FilterModel | undefined, source: SourceModel, storedType: string): boolean {
  if (!filter) return true
  if (filter.collectors && !filter.collectors.includes(source.collector)) return false
  if (filter.sources && !filter.sources.includes(source.key)) return false
  if (filter.sourceCategory !== undefined && !globMatches(filter.sourceCategory, source.category)) return false
  if (filter.eventTypes && !storedTypesOf(filter.eventTypes).has(storedType)) return false
  return true
}

/** `<source name>/<event id>`: the same upstream event collected by two sources is two deliveries. */
const deliveredKey = (event: unknown) => {
  const e = event as { id?: string; metadata?: { _source?: string } }
  return e.metadata?._source && e.id ? `${e.metadata._source}/${e.id}` : undefined
}

describe('routing', () => {
  let c: Collecting
  const collectorIds: Record<'A' | 'B', number> = { A: 0, B: 0 }
  const receivers = new Map<string, FakeWebhook>()
  /** Event ids per stored type: published before the destinations were created, and after. */
  const before = new Map<string, Set<string>>()
  const after = new Map<string, Set<string>>()

  async function createSource(source: SourceModel): Promise<number> {
    const res = await c.t.request('POST', `/api/v1/collectors/${source.collectorId}/sources`, {
      source: {
        sourceType: 'Universal',
        schemaRef: { type: 'ChatGPT Compliance' },
        config: {
          name: source.key,
          workspaceID: c.fake.workspaceId,
          apiKey: c.fake.apiKey,
          enabledEventType: source.shortTypes,
          ...(source.category !== undefined ? { category: source.category } : {}),
        },
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().source.id
  }

  /** The first run of the source to finish after `afterRunId` (collecting.ts's waitForRun knows only its own collector). */
  async function waitForRun(source: SourceModel, afterRunId = 0): Promise<number> {
    let found: { id: number } | undefined
    await c.waitFor(async () => {
      const runs = (await c.t.request('GET', `/api/v1/collectors/${source.collectorId}/sources/${source.id}/runs`)).json().runs as { id: number; status: string }[]
      found = runs.filter((r) => r.id > afterRunId && r.status !== 'running').at(-1)
      return found !== undefined
    }, `a finished run of ${source.key}`)
    return found!.id
  }

  function filterBody(filter: FilterModel | undefined): Record<string, unknown> | undefined {
    if (!filter) return undefined
    const body: Record<string, unknown> = {}
    if (filter.collectors) body.collectorIds = filter.collectors.map((k) => collectorIds[k])
    if (filter.sources) body.sourceIds = filter.sources.map((key) => SOURCES.find((s) => s.key === key)!.id)
    if (filter.sourceCategory !== undefined) body.sourceCategory = filter.sourceCategory
    if (filter.eventTypes) body.eventTypes = filter.eventTypes
    return body
  }

  function expectedFor(destination: DestinationCase): Set<string> {
    const keys = new Set<string>()
    for (const source of SOURCES) {
      for (const short of source.shortTypes) {
        const type = STORED_TYPE[short]!
        if (!matches(destination.filter, source, type)) continue
        const ids = destination.startFrom === 'now' ? after.get(type)! : new Set([...before.get(type)!, ...after.get(type)!])
        for (const id of ids) keys.add(`${source.key}/${id}`)
      }
    }
    return keys
  }

  beforeAll(async () => {
    c = await startCollecting({ env: DELIVERY_ENV })
    collectorIds.A = c.collectorId
    const second = await c.t.request('POST', '/api/v1/collectors', { collector: { collectorType: 'Hosted', name: 'second' } })
    expect(second.statusCode, second.body).toBe(201)
    collectorIds.B = second.json().collector.id

    // Stored before any destination exists.
    for (const type of TYPES) c.fake.addGeneratedFiles(type, 2, 3)
    for (const type of TYPES) before.set(type, c.fake.expectedEventIds(type))
    const firstRuns = new Map<string, number>()
    for (const source of SOURCES) {
      source.collectorId = collectorIds[source.collector]
      source.id = await createSource(source)
    }
    for (const source of SOURCES) firstRuns.set(source.key, await waitForRun(source))

    for (const destination of CASES) {
      const hook = await startFakeWebhook({ eventId: deliveredKey })
      receivers.set(destination.name, hook)
      const filter = filterBody(destination.filter)
      const res = await c.t.request('POST', '/api/v1/destinations', {
        destination: {
          name: destination.name,
          type: 'webhook',
          config: { url: hook.url },
          ...(filter !== undefined ? { filter } : {}),
          ...(destination.startFrom ? { startFrom: destination.startFrom } : {}),
        },
      })
      expect(res.statusCode, res.body).toBe(201)
      ;(destination as DestinationCase & { id?: number }).id = res.json().destination.id
    }

    // Stored after every destination was created: the only events "now" destinations send.
    for (const type of TYPES) c.fake.addGeneratedFiles(type, 1, 2)
    for (const type of TYPES) after.set(type, new Set([...c.fake.expectedEventIds(type)].filter((id) => !before.get(type)!.has(id))))
    for (const source of SOURCES) await makeDue(c, source.id!)
    for (const source of SOURCES) await waitForRun(source, firstRuns.get(source.key))

    let waiting: unknown
    await c
      .waitFor(
        async () => {
          const list = (await c.t.request('GET', '/api/v1/destinations')).json().destinations as any[]
          waiting = list.filter((d) => d.delivery.lagEvents !== 0).map((d) => ({ name: d.name, state: d.state, delivery: d.delivery }))
          return list.length === CASES.length && list.every((d) => d.delivery.lagEvents === 0)
        },
        'every destination to catch up',
        60_000,
      )
      .catch((err) => {
        throw new Error(`${(err as Error).message}; still waiting: ${JSON.stringify(waiting)}`)
      })
  }, 120_000)

  afterAll(async () => {
    await Promise.all([...receivers.values()].map((r) => r.close()))
    await c?.close()
  })

  it('the model behind the expectations matches what each case says it is about', () => {
    for (const type of TYPES) {
      expect(before.get(type)!.size, type).toBe(6)
      expect(after.get(type)!.size, type).toBe(2)
    }
    for (const destination of CASES) {
      const sources = SOURCES.filter((s) => s.shortTypes.some((short) => matches(destination.filter, s, STORED_TYPE[short]!))).map((s) => s.key)
      expect(sources, destination.name).toEqual(destination.expectSources)
    }
  })

  it.each(CASES)('$name: the receiver holds exactly the matching events, once each', (destination) => {
    const hook = receivers.get(destination.name)!
    const expected = expectedFor(destination)
    expect(compareDelivery(expected, hook)).toEqual({ missing: [], duplicates: [], unexpected: [], withoutId: 0 })
    expect(hook.violations).toEqual([])
    if (expected.size === 0) expect(hook.requests).toEqual([])
  })

  it('every destination is healthy and shows nothing waiting', async () => {
    const list = (await c.t.request('GET', '/api/v1/destinations')).json().destinations as any[]
    for (const d of list) {
      expect(d.delivery, d.name).toMatchObject({ lagEvents: 0, consecutiveFailures: 0, deadLetters: 0 })
      expect(d.state.state, d.name).not.toBe('Error')
    }
  })
})
