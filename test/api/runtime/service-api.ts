// The HTTP calls the runtime tests make against a service process (test/helpers/service.ts): create a
// collector and a ChatGPT Compliance source pointed at the fake, read a source, its runs and
// its events. Plain fetch, so it works against any replica of the same database.
import type { FakeCompliance } from '../../fakes/chatgpt/index.js'
import type { RunningService } from '../../helpers/service.js'

export interface RunView {
  id: number
  status: string
  startedAt: string
  finishedAt: string | null
  origins: number
  eventsStored: number
  duplicatesSkipped: number
  quarantined: number
  errors: { at: string; type: string; message: string }[]
}

export async function api(service: Pick<RunningService, 'baseUrl' | 'authorization'>, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${service.baseUrl}${url}`, {
    method,
    headers: { authorization: service.authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${text}`)
  return text === '' ? undefined : JSON.parse(text)
}

export async function createCollector(service: RunningService, name = 'chatgpt'): Promise<number> {
  return (await api(service, 'POST', '/api/v1/collectors', { collector: { collectorType: 'Hosted', name, category: 'compliance' } })).collector.id
}

/** A ChatGPT Compliance source against `fake`; `enabledEventType` uses Sumo's short names. */
export async function createChatGptSource(
  service: RunningService,
  collectorId: number,
  fake: Pick<FakeCompliance, 'workspaceId' | 'apiKey'>,
  config: Record<string, unknown> = {},
): Promise<number> {
  const body = {
    source: {
      sourceType: 'Universal',
      schemaRef: { type: 'ChatGPT Compliance' },
      config: { name: 'chatgpt', workspaceID: fake.workspaceId, apiKey: fake.apiKey, ...config },
    },
  }
  return (await api(service, 'POST', `/api/v1/collectors/${collectorId}/sources`, body)).source.id
}

export function sourcePath(collectorId: number, sourceId: number): string {
  return `/api/v1/collectors/${collectorId}/sources/${sourceId}`
}

export async function getSource(service: RunningService, collectorId: number, sourceId: number): Promise<any> {
  return (await api(service, 'GET', sourcePath(collectorId, sourceId))).source
}

/** Newest first, as the API answers. */
export async function getRuns(service: RunningService, collectorId: number, sourceId: number, limit = 500): Promise<RunView[]> {
  return (await api(service, 'GET', `${sourcePath(collectorId, sourceId)}/runs?limit=${limit}`)).runs
}

/** Polls `check` every `everyMs` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
