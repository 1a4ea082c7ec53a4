// The Compliance API listener: `/v1/compliance/{workspaces|organizations}/{id}/…`.
//
// Checks run in the order a FastAPI service behind a gateway applies them:
//   route match (404) → injected response fault → bearer auth (401) → rate limit (429)
//   → parameter validation (422) → workspace/org lookup (404) → org-scope check (400) → key scopes (403).

import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { retainedFromMicros, type ComplianceState, type KeyGrant } from './compliance-state.js'
import { isWorkspaceScoped, readScopeName, type ComplianceEventType } from './event-types.js'
import { takeFault, type BodyFault, type FaultRoute } from './fault-switches.js'
import { Reply } from './http-replies.js'
import { toLogFileObject } from './log-file-catalog.js'
import { validateListLogsQuery, validateMaxEventTimeQuery, validateWorkspaceId } from './query-validation.js'
import type { RecordedRequest } from './request-log.js'
import { formatMicrosZ } from './timestamps.js'

type Scope = 'workspaces' | 'organizations'
type ApiRoute = Exclude<FaultRoute, 'signed'>

interface MatchedRoute {
  route: ApiRoute
  scope: Scope
  template: string
  scopeId: string
  fileId?: string
}

const ROUTE_PATTERN = /^\/v1\/compliance\/(workspaces|organizations)\/([^/]+)\/(logs|max_event_time|conversations)(?:\/(.*))?$/

export function handleApiRequest(state: ComplianceState, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fake.invalid')
  const match = matchRoute(url.pathname)
  const entry: Omit<RecordedRequest, 'seq' | 'at' | 'status' | 'fault'> = {
    listener: 'api',
    method: req.method ?? 'GET',
    path: url.pathname,
    query: [...url.searchParams],
    route: match?.route ?? 'unmatched',
    template: match?.template ?? url.pathname,
    authorization: req.headers.authorization !== undefined,
    ...(match?.fileId !== undefined ? { fileId: match.fileId } : {}),
  }
  res.setHeader('x-request-id', `req_${randomBytes(16).toString('hex')}`)
  const reply = new Reply(res, (status, fault) => state.log.record({ ...entry, status, ...(fault ? { fault } : {}) }), () => state.faults.errorStyle)

  if (!match) return reply.error(404, 'Not Found')
  if (req.method !== 'GET') return reply.error(405, 'Method Not Allowed', { allow: 'GET' })

  const injected = takeFault(state.faults.responseFaults[match.route])
  if (injected?.kind === 'server_error') return reply.serverError(injected.status)
  if (injected?.kind === 'rate_limited') return rateLimited(reply, injected.retryAfterSeconds, true)

  const key = bearerToken(req.headers.authorization)
  if (key === undefined) return reply.error(401, 'Not authenticated', { 'www-authenticate': 'Bearer' })
  const grant = state.keys.get(key)
  if (!grant || grant.revoked) return reply.error(401, 'Invalid API key', { 'www-authenticate': 'Bearer' })

  const budget = state.limiter.take(`${key}\u0000${req.method}\u0000${match.template}`)
  if (!budget.allowed) return rateLimited(reply, budget.retryAfterSeconds, false)

  switch (match.route) {
    case 'list':
      return listLogs(state, match, url.searchParams, grant, reply)
    case 'download':
      return redirectToSignedUrl(state, match, grant, reply)
    case 'max_event_time':
      return maxEventTime(state, match, url.searchParams, grant, reply)
    case 'conversations':
      return reply.error(
        410,
        'The conversations endpoint of the Compliance API has been retired. Conversation content is now delivered as ' +
          'CONVERSATION_MESSAGE log files: use GET /v1/compliance/workspaces/{workspace_id}/logs?event_type=CONVERSATION_MESSAGE',
      )
  }
}

function listLogs(state: ComplianceState, match: MatchedRoute, params: URLSearchParams, grant: KeyGrant, reply: Reply): void {
  const workspace = match.scope === 'workspaces' ? validateWorkspaceId(match.scopeId) : undefined
  const query = validateListLogsQuery(params)
  const issues = [...(workspace && !workspace.ok ? workspace.issues : []), ...(query.ok ? [] : query.issues)]
  if (issues.length > 0 || !query.ok) return reply.validation(issues)
  if (!scopeExists(state, match, workspace, reply)) return
  if (!typesAllowed(match, query.value.types, grant, reply, 'logs')) return

  const { files, hasMore } = state.catalog.page({
    types: new Set(query.value.types),
    afterMicros: query.value.afterMicros,
    inclusiveAfter: state.faults.inclusiveBoundary,
    ...(query.value.beforeMicros !== undefined ? { beforeMicros: query.value.beforeMicros } : {}),
    retainedFromMicros: retainedFromMicros(state),
    limit: query.value.limit,
  })
  const last = files[files.length - 1]
  const body = { data: files.map(toLogFileObject), has_more: hasMore, last_end_time: last ? last.endTime : null }
  sendBody(reply, body, takeFault(state.faults.bodyFaults.list))
}

function redirectToSignedUrl(state: ComplianceState, match: MatchedRoute, grant: KeyGrant, reply: Reply): void {
  const workspace = match.scope === 'workspaces' ? validateWorkspaceId(match.scopeId) : undefined
  if (workspace && !workspace.ok) return reply.validation(workspace.issues)
  if (!scopeExists(state, match, workspace, reply)) return
  const file = match.fileId === undefined ? undefined : state.catalog.get(match.fileId)
  // Files belong to a workspace, so the organization path never finds one; expired files are gone.
  if (!file || match.scope === 'organizations' || file.endMicros < retainedFromMicros(state)) return reply.error(404, 'Log file not found')
  if (!grant.scopes.has(file.eventType)) return reply.error(403, `API key is missing the scope ${readScopeName(file.eventType)}`)

  let expiresAtMs = state.nowMs() + state.signedUrlTtlMs
  if (state.faults.expireNextSignedUrls > 0) {
    state.faults.expireNextSignedUrls -= 1
    expiresAtMs = state.nowMs() - 1_000
  }
  reply.redirect(307, `${state.signedOrigin}/_signed/${state.signer.sign(file.id, expiresAtMs)}`)
}

function maxEventTime(state: ComplianceState, match: MatchedRoute, params: URLSearchParams, grant: KeyGrant, reply: Reply): void {
  const workspace = match.scope === 'workspaces' ? validateWorkspaceId(match.scopeId) : undefined
  const query = validateMaxEventTimeQuery(params)
  const issues = [...(workspace && !workspace.ok ? workspace.issues : []), ...(query.ok ? [] : query.issues)]
  if (issues.length > 0 || !query.ok) return reply.validation(issues)
  if (!scopeExists(state, match, workspace, reply)) return
  if (!typesAllowed(match, query.value, grant, reply, 'max_event_time')) return
  const retainedFrom = retainedFromMicros(state)
  const times: Record<string, string | null> = {}
  for (const type of query.value) {
    const max = state.catalog.maxEventMicros(type, retainedFrom)
    times[type] = max === null ? null : formatMicrosZ(max)
  }
  sendBody(reply, { max_event_time: times }, takeFault(state.faults.bodyFaults.max_event_time))
}

function sendBody(reply: Reply, body: unknown, fault: BodyFault | undefined): void {
  reply.jsonWithFault(body, fault).catch(() => {
    // The client went away mid-body; nothing left to tell it.
  })
}

function scopeExists(state: ComplianceState, match: MatchedRoute, workspace: { ok: true; value: string } | { ok: false } | undefined, reply: Reply): boolean {
  if (match.scope === 'workspaces') {
    if (workspace?.ok && workspace.value === state.workspaceId) return true
    reply.error(404, 'Workspace not found')
    return false
  }
  if (match.scopeId === state.organizationId) return true
  reply.error(404, 'Organization not found')
  return false
}

function typesAllowed(match: MatchedRoute, types: ComplianceEventType[], grant: KeyGrant, reply: Reply, routeName: string): boolean {
  if (match.scope === 'organizations') {
    const workspaceType = types.find(isWorkspaceScoped)
    if (workspaceType) {
      reply.error(400, `${workspaceType} is a workspace-scoped event type. Use /v1/compliance/workspaces/{workspace_id}/${routeName} instead.`)
      return false
    }
  }
  const missingScope = types.find((t) => !grant.scopes.has(t))
  if (missingScope) {
    reply.error(403, `API key is missing the scope ${readScopeName(missingScope)}`)
    return false
  }
  return true
}

function rateLimited(reply: Reply, retryAfterSeconds: number, injected: boolean): void {
  reply.error(
    429,
    `Rate limit exceeded for this route. Retry after ${retryAfterSeconds} seconds.`,
    { 'retry-after': String(retryAfterSeconds) },
    injected ? 'rate_limited' : undefined,
  )
}

/** The key from `Authorization: Bearer <key>` (scheme case-insensitive), or undefined when absent/malformed. */
function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  return m ? m[1] : undefined
}

function matchRoute(pathname: string): MatchedRoute | undefined {
  const m = ROUTE_PATTERN.exec(pathname)
  if (!m) return undefined
  const scope = m[1] as Scope
  const leaf = m[3] as 'logs' | 'max_event_time' | 'conversations'
  const rest = m[4]
  const scopeId = safeDecode(m[2] as string)
  const idName = scope === 'workspaces' ? '{workspace_id}' : '{org_id}'
  const base = `/v1/compliance/${scope}/${idName}`
  if (leaf === 'logs') {
    if (rest === undefined) return { route: 'list', scope, scopeId, template: `${base}/logs` }
    if (rest !== '' && !rest.includes('/')) return { route: 'download', scope, scopeId, template: `${base}/logs/{log_file_id}`, fileId: safeDecode(rest) }
    return undefined
  }
  if (leaf === 'max_event_time') return rest === undefined ? { route: 'max_event_time', scope, scopeId, template: `${base}/max_event_time` } : undefined
  // The legacy stateful conversation routes (list, one conversation, its messages) all answer 410.
  if (scope !== 'workspaces') return undefined
  return { route: 'conversations', scope, scopeId, template: rest === undefined ? `${base}/conversations` : `${base}/conversations/{path}` }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
