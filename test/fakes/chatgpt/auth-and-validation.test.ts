import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeCompliance, type FakeCompliance } from './fake-compliance.js'
import { apiGet, listLogs, logsPath } from './test-support.js'

let fake: FakeCompliance
const AFTER = '2026-01-01T00:00:00Z'

beforeEach(async () => {
  fake = await startFakeCompliance({ rateLimitPerMinute: 0 })
  fake.addGeneratedFiles('AUDIT_LOG', 2, 2)
  fake.addGeneratedFiles('AUTH_LOG', 1, 2)
})
afterEach(() => fake.close())

const list = (params: Record<string, string> | Array<[string, string]>, key?: string | null) => listLogs(fake, params, key === undefined ? {} : { key })

describe('authentication (401)', () => {
  it('rejects a request without Authorization', async () => {
    const res = await list({ event_type: 'AUDIT_LOG', after: AFTER }, null)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(res.body).toEqual({ detail: expect.any(String) })
  })

  it('rejects a wrong key and a non-Bearer scheme, accepts the scheme in any case', async () => {
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER }, 'sk-proj-wrong')).status).toBe(401)
    const basic = await apiGet(fake, logsPath(fake), { event_type: 'AUDIT_LOG', after: AFTER }, { key: null, headers: { authorization: `Basic ${fake.apiKey}` } })
    expect(basic.status).toBe(401)
    const raw = await apiGet(fake, logsPath(fake), { event_type: 'AUDIT_LOG', after: AFTER }, { key: null, headers: { authorization: fake.apiKey } })
    expect(raw.status).toBe(401)
    const lower = await apiGet(fake, logsPath(fake), { event_type: 'AUDIT_LOG', after: AFTER }, { key: null, headers: { authorization: `bearer ${fake.apiKey}` } })
    expect(lower.status).toBe(200)
  })

  it('applies auth to every compliance route, before validation', async () => {
    const routes = [
      logsPath(fake),
      `${logsPath(fake)}/${fake.files()[0]?.id}`,
      `/compliance/workspaces/${fake.workspaceId}/max_event_time`,
      `/compliance/workspaces/${fake.workspaceId}/conversations`,
      `/compliance/organizations/${fake.organizationId}/logs`,
      '/compliance/workspaces/not-a-uuid/logs',
    ]
    for (const path of routes) expect((await apiGet(fake, path, {}, { key: null })).status, path).toBe(401)
  })

  it('answers 401 for a key revoked at runtime, and 200 again once restored', async () => {
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(200)
    fake.revokeKey()
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(401)
    fake.restoreKey()
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(200)
  })
})

describe('scopes (403)', () => {
  it('rejects an event type whose scope was removed, on list, download and max_event_time', async () => {
    const authFile = fake.files('AUTH_LOG')[0]
    fake.revokeScope('AUTH_LOG')
    const denied = await list({ event_type: 'AUTH_LOG', after: AFTER })
    expect(denied.status).toBe(403)
    expect(denied.body.detail).toContain('chatgpt.enterprise.compliance_logs_platform.auth_log.read')
    // One unauthorised type in a multi-type request fails the request.
    expect((await list([['event_type', 'AUDIT_LOG'], ['event_type', 'AUTH_LOG'], ['after', AFTER]])).status).toBe(403)
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(200)
    expect((await apiGet(fake, `${logsPath(fake)}/${authFile?.id}`)).status).toBe(403)
    expect((await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/max_event_time`, { event_type: 'AUTH_LOG' })).status).toBe(403)
    fake.grantScope('AUTH_LOG')
    expect((await list({ event_type: 'AUTH_LOG', after: AFTER })).status).toBe(200)
  })

  it('honours the scope map given at start and per added key', async () => {
    const limited = await startFakeCompliance({ scopes: ['AUTH_LOG'], rateLimitPerMinute: 0 })
    try {
      expect((await listLogs(limited, { event_type: 'AUTH_LOG', after: AFTER })).status).toBe(200)
      expect((await listLogs(limited, { event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(403)
    } finally {
      await limited.close()
    }
    fake.addApiKey('sk-proj-second', ['AUDIT_LOG'])
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER }, 'sk-proj-second')).status).toBe(200)
    expect((await list({ event_type: 'AUTH_LOG', after: AFTER }, 'sk-proj-second')).status).toBe(403)
  })
})

describe('workspace and organization paths', () => {
  it('answers 404 for an unknown workspace UUID and 422 for a non-UUID', async () => {
    const unknown = await apiGet(fake, '/compliance/workspaces/00000000-0000-4000-8000-000000000000/logs', { event_type: 'AUDIT_LOG', after: AFTER })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ detail: 'Workspace not found' })
    const bad = await apiGet(fake, '/compliance/workspaces/workspace_123/logs', { event_type: 'AUDIT_LOG', after: AFTER })
    expect(bad.status).toBe(422)
    expect(bad.body.detail).toEqual([expect.objectContaining({ loc: ['path', 'workspace_id'], type: 'uuid_parsing' })])
  })

  it('accepts the workspace UUID in upper case or without hyphens', async () => {
    for (const id of [fake.workspaceId.toUpperCase(), fake.workspaceId.replace(/-/g, '')]) {
      expect((await apiGet(fake, `/compliance/workspaces/${id}/logs`, { event_type: 'AUDIT_LOG', after: AFTER })).status).toBe(200)
    }
  })

  it('answers 400 for a workspace-scoped type on the organization path, 404 for an unknown org', async () => {
    const res = await apiGet(fake, `/compliance/organizations/${fake.organizationId}/logs`, { event_type: 'AUTH_LOG', after: AFTER })
    expect(res.status).toBe(400)
    expect(res.body.detail).toMatch(/^AUTH_LOG is a workspace-scoped event type\. Use \/v1\/compliance\/workspaces\//)
    const mt = await apiGet(fake, `/compliance/organizations/${fake.organizationId}/max_event_time`, { event_type: 'CODEX_LOG' })
    expect(mt.status).toBe(400)
    const unknown = await apiGet(fake, '/compliance/organizations/org-doesnotexist/logs', { event_type: 'AUTH_LOG', after: AFTER })
    expect(unknown.status).toBe(404)
  })

  it('answers 410 on the legacy conversations routes, pointing at the Logs Platform', async () => {
    for (const path of ['/conversations', '/conversations/68cccb0d-6994-8321-8268-5193b8b55c01/messages']) {
      const res = await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}${path}`)
      expect(res.status).toBe(410)
      expect(res.body.detail).toContain('/logs?event_type=CONVERSATION_MESSAGE')
    }
  })

  it('answers 404 for unknown routes and 405 for other methods', async () => {
    expect((await apiGet(fake, `/compliance/workspaces/${fake.workspaceId}/users`)).status).toBe(404)
    expect((await apiGet(fake, '/models')).status).toBe(404)
    const post = await apiGet(fake, logsPath(fake), {}, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
  })
})

describe('validation (422, FastAPI shape)', () => {
  const cases: Array<[string, Record<string, string> | Array<[string, string]>, Array<string | number>, string]> = [
    ['after missing', { event_type: 'AUDIT_LOG' }, ['query', 'after'], 'missing'],
    ['event_type missing', { after: AFTER }, ['query', 'event_type'], 'missing'],
    ['after unparsable', { event_type: 'AUDIT_LOG', after: 'last tuesday' }, ['query', 'after'], 'datetime_parsing'],
    ['after without timezone', { event_type: 'AUDIT_LOG', after: '2026-07-16T01:00:00.123456' }, ['query', 'after'], 'timezone_aware'],
    ['after with an unencoded +', { event_type: 'AUDIT_LOG', after: '2026-07-16T01:00:00 00:00' }, ['query', 'after'], 'datetime_parsing'],
    ['before unparsable', { event_type: 'AUDIT_LOG', after: AFTER, before: 'soon' }, ['query', 'before'], 'datetime_parsing'],
    ['limit 0', { event_type: 'AUDIT_LOG', after: AFTER, limit: '0' }, ['query', 'limit'], 'greater_than_equal'],
    ['limit 101', { event_type: 'AUDIT_LOG', after: AFTER, limit: '101' }, ['query', 'limit'], 'less_than_equal'],
    ['limit not a number', { event_type: 'AUDIT_LOG', after: AFTER, limit: 'ten' }, ['query', 'limit'], 'int_parsing'],
    ['unknown event_type', [['event_type', 'AUDIT_LOG'], ['event_type', 'CONVERSATION'], ['after', AFTER]], ['query', 'event_type', 1], 'enum'],
  ]

  it.each(cases)('%s', async (_name, params, loc, type) => {
    const res = await list(params)
    expect(res.status).toBe(422)
    expect(res.body.detail).toHaveLength(1)
    expect(res.body.detail[0]).toMatchObject({ loc, type, msg: expect.any(String) })
  })

  it('accepts the limit bounds 1 and 100', async () => {
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER, limit: '1' })).body.data).toHaveLength(1)
    expect((await list({ event_type: 'AUDIT_LOG', after: AFTER, limit: '100' })).status).toBe(200)
  })

  it('reports every problem of a request at once', async () => {
    const res = await list({ limit: '500', after: 'nope' })
    expect(res.status).toBe(422)
    expect(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.')).sort()).toEqual(['query.after', 'query.event_type', 'query.limit'])
  })

  it('switches to the OpenAI error shape on demand', async () => {
    fake.faults.errorStyle = 'openai'
    const unauthorised = await list({ event_type: 'AUDIT_LOG', after: AFTER }, null)
    expect(unauthorised.status).toBe(401)
    expect(unauthorised.body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })
    const invalid = await list({ event_type: 'AUDIT_LOG' })
    expect(invalid.status).toBe(422)
    expect(invalid.body.error).toMatchObject({ param: 'after', code: 'missing' })
  })
})
