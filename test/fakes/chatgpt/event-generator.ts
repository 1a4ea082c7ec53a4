// Deterministic, realistic log lines for every event type (docs/logs-platform.md §4).
//
// The event_id is always the FIRST value drawn from the generator, so `generatedEventId(seed)` can recompute
// it without building the rest of the event; generated multi-gigabyte files rely on that to list their
// expected event ids without holding or regenerating the body.

import {
  type ComplianceActor,
  type ComplianceActorUser,
  type ComplianceEvent,
  type ComplianceEventType,
  type RequestMetadata,
} from './event-types.js'
import { createRng, deriveSeed, type Rng } from './seeded-random.js'
import * as pool from './sample-data.js'
import { formatMicrosZ, MICROS_PER_SECOND, toMicros, type EpochMicros } from './timestamps.js'

/** Workspace used when the caller names none; a fixed UUID so standalone generated events are reproducible. */
export const DEFAULT_WORKSPACE_ID = '3f1c2d4e-8a9b-4c7d-9e0f-1a2b3c4d5e6f'
// When no timestamp is given, events fall on the day after this instant (again: reproducible, not "now").
const DEFAULT_TIMESTAMP_BASE = toMicros('2026-07-16T00:00:00Z')

export interface GenerateEventOptions {
  /** Event `timestamp`; default: a seed-derived instant on 2026-07-16. */
  timestamp?: string | Date | EpochMicros
  /** Workspace UUID for `principal.id` and the user pool; default DEFAULT_WORKSPACE_ID. */
  workspaceId?: string
  /**
   * Inflate the serialised line (JSON plus the newline) to exactly this many bytes by appending prose to the
   * event's natural free-text field. Events already larger stay as they are.
   */
  bytesPerEvent?: number
}

/** Builds one event. `seedOrRng` is a number (fresh generator) or a generator shared across calls. */
export function generateEvent(type: ComplianceEventType, seedOrRng: number | Rng, opts: GenerateEventOptions = {}): ComplianceEvent {
  const { event, padding } = buildEvent(type, seedOrRng, opts)
  if (opts.bytesPerEvent !== undefined && padding) {
    const missing = opts.bytesPerEvent - (Buffer.byteLength(JSON.stringify(event)) + 1)
    if (missing > 0) padding.set(padding.get() + paddingBytes(missing).toString('latin1'))
  }
  return event
}

/**
 * The JSON text of `generateEvent(type, seedOrRng, opts)` split around its padding:
 * `head + paddingBytes(paddingLength) + tail` is byte for byte the serialised event. Streaming a padded event
 * this way skips stringifying and re-encoding the padding, which dominated the cost of large generated files.
 */
export interface SerializedEventParts {
  head: string
  paddingLength: number
  tail: string
}

export function serializeEventParts(type: ComplianceEventType, seedOrRng: number | Rng, opts: GenerateEventOptions = {}): SerializedEventParts {
  const { event, padding } = buildEvent(type, seedOrRng, opts)
  if (opts.bytesPerEvent === undefined || !padding) return { head: JSON.stringify(event), paddingLength: 0, tail: '' }
  padding.set(padding.get() + PADDING_MARKER)
  const json = JSON.stringify(event)
  const at = json.indexOf(PADDING_MARKER_IN_JSON)
  const head = json.slice(0, at)
  const tail = json.slice(at + PADDING_MARKER_IN_JSON.length)
  const missing = opts.bytesPerEvent - (Buffer.byteLength(head) + Buffer.byteLength(tail) + 1)
  return { head, paddingLength: Math.max(0, missing), tail }
}

/** The first `length` bytes of the padding prose (ASCII, so bytes and characters coincide). */
export function paddingBytes(length: number): Buffer {
  if (paddingCache.length < length) {
    let text = pool.FILLER_TEXT
    while (text.length < length) text += text
    paddingCache = Buffer.from(text, 'latin1')
  }
  return paddingCache.subarray(0, length)
}

let paddingCache = Buffer.from(pool.FILLER_TEXT, 'latin1')
// A control character never appears in generated text, and JSON.stringify escapes it predictably.
const PADDING_MARKER = '\u0001PAD\u0001'
const PADDING_MARKER_IN_JSON = JSON.stringify(PADDING_MARKER).slice(1, -1)

function buildEvent(type: ComplianceEventType, seedOrRng: number | Rng, opts: GenerateEventOptions): { event: ComplianceEvent; padding?: TextField } {
  const rng = typeof seedOrRng === 'number' ? createRng(seedOrRng) : seedOrRng
  const eventId = rng.uuid4()
  const workspaceId = opts.workspaceId ?? DEFAULT_WORKSPACE_ID
  const micros = opts.timestamp === undefined ? DEFAULT_TIMESTAMP_BASE + BigInt(rng.int(86_400_000)) * 1000n + BigInt(rng.int(1000)) : toMicros(opts.timestamp)
  const ctx: BuildContext = { rng, workspaceId, micros, users: workspaceUsers(workspaceId) }
  const built = BUILDERS[type](ctx)
  const event: ComplianceEvent = {
    event_id: eventId,
    type,
    timestamp: formatMicrosZ(micros),
    principal: { id: workspaceId, type: 'CHATGPT_WORKSPACE' },
    actor: built.actor,
    ...(built.withoutRequestMetadata ? {} : { request_metadata: requestMetadata(rng) }),
    ...built.fields,
  }
  // Types without free text carry padding in the user agent string, which every generated event has.
  const metadata = event.request_metadata
  const padding = built.text ?? (metadata ? { get: () => metadata.client_user_agent, set: (v: string) => (metadata.client_user_agent = v) } : undefined)
  return padding ? { event, padding } : { event }
}

/** The event_id `generateEvent(type, seed)` would produce, without building the event. */
export function generatedEventId(seed: number): string {
  return createRng(seed).uuid4()
}

export interface WorkspaceUser {
  user_id: string
  user_email: string
}

/** Twelve users per workspace, derived from the workspace id so every file of a workspace shares them. */
export function workspaceUsers(workspaceId: string): readonly WorkspaceUser[] {
  const cached = usersByWorkspace.get(workspaceId)
  if (cached) return cached
  const rng = createRng(deriveSeed(0x05eed, 'users', workspaceId))
  const users = pool.FIRST_NAMES.map((first, i) => ({
    user_id: `user-${rng.alnum(24)}`,
    user_email: `${first}.${pool.LAST_NAMES[i]}@${pool.EMAIL_DOMAIN}`,
  }))
  usersByWorkspace.set(workspaceId, users)
  return users
}

const usersByWorkspace = new Map<string, readonly WorkspaceUser[]>()

interface BuildContext {
  rng: Rng
  workspaceId: string
  micros: EpochMicros
  users: readonly WorkspaceUser[]
}

/** Access to the event's most natural free-text field, used to inflate events to a target size. */
interface TextField {
  get(): string
  set(value: string): void
}

interface BuiltPayload {
  actor: ComplianceActor
  fields: Record<string, unknown>
  text?: TextField
  withoutRequestMetadata?: boolean
}

const BUILDERS: Record<ComplianceEventType, (ctx: BuildContext) => BuiltPayload> = {
  CONVERSATION_MESSAGE: conversationMessage,
  CODEX_LOG: codexLog,
  CODEX_SECURITY_LOG: codexSecurityLog,
  AUDIT_LOG: auditLog,
  APP_LOG: appLog,
  AUTH_LOG: authLog,
  APP_AUTH_LOG: appAuthLog,
  CUSTOM_AGENTS_LOG: customAgentsLog,
}

function conversationMessage({ rng, micros, users }: BuildContext): BuiltPayload {
  const user = rng.pick(users)
  const external = rng.bool(0.05)
  const actor: ComplianceActorUser = external
    ? { type: 'EXTERNAL_COLLABORATION_USER', user_id: `user-${rng.alnum(24)}`, user_email: `guest.${rng.alnum(6).toLowerCase()}@partner.example` }
    : { type: 'ACCOUNT_USER', ...user }
  const fromUser = rng.bool(0.5)
  const conversationCreated = micros - BigInt(rng.int(3 * 86_400)) * MICROS_PER_SECOND - BigInt(rng.int(1_000_000))
  const content: Record<string, unknown> = { type: 'text', value: fromUser ? rng.pick(pool.USER_PROMPTS) : rng.pick(pool.ASSISTANT_REPLIES) }
  const author: Record<string, unknown> = fromUser
    ? { type: 'user', client_type: rng.pick(pool.CLIENT_TYPES) }
    : {
        type: 'assistant',
        model: rng.pick(pool.ASSISTANT_MODELS),
        tools_used: rng.bool(0.4) ? [rng.pick(pool.ASSISTANT_TOOLS)] : [],
        skills_used: rng.bool(0.1) ? [rng.pick(pool.ASSISTANT_SKILLS)] : [],
      }
  if (!fromUser && rng.bool(0.3)) {
    content.annotations = [{ type: 'url_citation', urls: [`https://docs.acme-corp.example/kb/${rng.between(100, 999)}`] }]
  }
  const message: Record<string, unknown> = { id: rng.uuid4(), created_at: formatMicrosZ(micros), author, content }
  if (fromUser && rng.bool(0.2)) message.files = [{ id: `file-${rng.alnum(22)}`, name: rng.pick(pool.FILE_NAMES) }]
  const firstMessage = rng.bool(0.2)
  const conversation: Record<string, unknown> = {
    id: timePrefixedId(rng, conversationCreated),
    // The title is generated after the first exchange, so early events carry "".
    title: firstMessage ? '' : rng.pick(pool.CONVERSATION_TITLES),
    created_at: formatMicrosZ(conversationCreated),
    is_pinned: rng.bool(0.1),
    is_temporary_chat: rng.bool(0.05),
    mode: rng.bool(0.8) ? 'chat' : 'work',
  }
  if (rng.bool(0.15)) Object.assign(conversation, { gpt_id: `g-${rng.hex(32)}`, gpt_name: 'Policy Helper' })
  if (rng.bool(0.15)) Object.assign(conversation, { project_id: `g-p-${rng.hex(32)}`, project_name: 'Q4 planning' })
  return {
    actor,
    fields: { ...(firstMessage ? {} : { previous_message_id: rng.uuid4() }), message, conversation },
    text: { get: () => String(content.value ?? ''), set: (v) => (content.value = v) },
  }
}

function authLog({ rng, users }: BuildContext): BuiltPayload {
  const action = rng.pick(pool.AUTH_ACTIONS)
  const actionData: Record<string, unknown> = { action, auth_provider_name: rng.pick(pool.AUTH_PROVIDERS) }
  if (action !== 'login_failed' && action !== 'password_reset_initiated') actionData.role = rng.pick(pool.WORKSPACE_ROLES)
  return { actor: { type: 'ACCOUNT_USER', ...rng.pick(users) }, fields: { action_data: actionData } }
}

function auditLog({ rng, users, micros }: BuildContext): BuiltPayload {
  const admin = rng.pick(users)
  const target = rng.pick(users)
  const result = rng.pick(pool.AUDIT_RESULTS)
  const kind = rng.int(6)
  let actor: ComplianceActor = { type: 'ACCOUNT_USER', ...admin }
  let action: string
  let actionData: Record<string, unknown>
  switch (kind) {
    case 0:
      action = 'WORKSPACE_TOGGLE_FEATURE'
      actionData = { feature: rng.pick(pool.WORKSPACE_FEATURES), value: rng.bool() }
      break
    case 1:
      action = 'USER_ROLE_UPDATED'
      actionData = { user_id: target.user_id, new_role: rng.pick(pool.WORKSPACE_ROLES) }
      break
    case 2:
      action = 'INVITE_SEND'
      actionData = { email_addresses: [`new.hire${rng.between(1, 99)}@${pool.EMAIL_DOMAIN}`], role: 'standard-user' }
      break
    case 3:
      // Compliance API calls are audited with the key as actor (docs/logs-platform.md §1).
      action = 'LIST_WORKSPACE_LOG_FILES'
      actor = { type: 'API_KEY', redacted_id: `sk-...${rng.alnum(4)}` }
      actionData = { limit: 100, after: formatMicrosZ(micros - 3_600n * MICROS_PER_SECOND), event_type: rng.pick(['CONVERSATION_MESSAGE', 'AUDIT_LOG', 'AUTH_LOG']) }
      break
    case 4:
      action = 'GROUP_REMOVE_USER'
      actionData = { group_id: `group-${rng.alnum(24)}`, group_name: rng.pick(pool.GROUP_NAMES), user_id: target.user_id }
      break
    default:
      action = 'DELETE_WORKSPACE_DIRECTORY_GROUP_USER'
      actionData = { group_id: `group-${rng.alnum(24)}`, user_id: target.user_id }
  }
  return {
    actor,
    fields: {
      action,
      action_result: result,
      action_privilege: result === 'BLOCKED' ? 'STANDARD_USER' : 'ADMIN',
      action_data: actionData,
    },
  }
}

function appLog({ rng, users, micros }: BuildContext): BuiltPayload {
  const app = rng.pick(pool.APPS)
  const appId = `connector_${createRng(deriveSeed(0xa99, app.name)).hex(32)}`
  const isRequest = rng.bool(0.5)
  const conversationId = rng.bool(0.8) ? timePrefixedId(rng, micros - BigInt(rng.int(86_400)) * MICROS_PER_SECOND) : null
  const fields: Record<string, unknown> = {
    app_id: appId,
    app_name: app.name,
    app_type: app.type,
    conversation_id: conversationId,
    log_type: isRequest ? 'request' : 'response',
  }
  let text: TextField
  if (isRequest) {
    const args: Record<string, unknown> = { query: rng.pick(pool.USER_PROMPTS), max_results: rng.between(5, 25) }
    fields.input = { action_name: app.action, arguments: args }
    text = { get: () => String(args.query), set: (v) => (args.query = v) }
  } else {
    const part: { type: string; text: string } = { type: 'text', text: rng.pick(pool.ASSISTANT_REPLIES) }
    fields.output = [
      {
        response: { result: { content: [part], isError: rng.bool(0.05) } },
        connector_id: appId,
        connector_name: app.name,
        action_name: app.action,
        is_sync: rng.bool(0.9),
        internal: { external_call_time_ms: rng.between(40, 4000) },
      },
    ]
    text = { get: () => part.text, set: (v) => (part.text = v) }
  }
  return { actor: { type: 'ACCOUNT_USER', ...rng.pick(users) }, fields, text }
}

function appAuthLog({ rng, users }: BuildContext): BuiltPayload {
  const action = rng.bool(0.7) ? 'link' : 'unlink'
  const appId = action === 'unlink' && rng.bool(0.5) ? null : `connector_${createRng(deriveSeed(0xa99, rng.pick(pool.APPS).name)).hex(32)}`
  return { actor: { type: 'ACCOUNT_USER', ...rng.pick(users) }, fields: { app_id: appId, link_id: `link_${rng.alnum(24)}`, action } }
}

function codexLog({ rng, users, workspaceId }: BuildContext): BuiltPayload {
  const eventType = rng.pick(pool.CODEX_EVENT_TYPES)
  const clientId = rng.pick(pool.CODEX_CLIENTS)
  const details: Record<string, unknown> = { detail_type: eventType, session_id: rng.uuid4() }
  let text: TextField | undefined
  switch (eventType) {
    case 'PROMPT_SENT':
      Object.assign(details, {
        turn_id: rng.uuid4(),
        model: rng.pick(pool.CODEX_MODELS),
        prompt_text: rng.pick(pool.USER_PROMPTS),
        reasoning_effort: rng.pick(['low', 'medium', 'high']),
        service_tier: rng.pick(['default', 'priority']),
        environment_id: `env_${rng.hex(24)}`,
      })
      text = { get: () => String(details.prompt_text), set: (v) => (details.prompt_text = v) }
      break
    case 'PROMPT_RESPONSE_RECEIVED': {
      const input = rng.between(2_000, 90_000)
      Object.assign(details, {
        turn_id: rng.uuid4(),
        model: rng.pick(pool.CODEX_MODELS),
        response_text: rng.pick(pool.ASSISTANT_REPLIES),
        status: rng.bool(0.95) ? 'completed' : 'failed',
        service_tier: 'default',
        reasoning_effort: rng.pick(['low', 'medium', 'high']),
        token_usage: {
          input_tokens: input,
          cached_input_tokens: rng.int(input),
          output_tokens: rng.between(50, 4_000),
          reasoning_output_tokens: rng.between(0, 2_000),
        },
      })
      text = { get: () => String(details.response_text), set: (v) => (details.response_text = v) }
      break
    }
    case 'TOOL_CALL_COMPLETED': {
      const tool = rng.pick(pool.CODEX_TOOLS)
      Object.assign(details, {
        turn_id: rng.uuid4(),
        call_id: `call_${rng.alnum(24)}`,
        tool_name: tool.name,
        tool_type: tool.type,
        tool_input: JSON.stringify(tool.input),
        tool_call_id: `call_${rng.alnum(24)}`,
        status: 'completed',
      })
      text = { get: () => String(details.tool_input), set: (v) => (details.tool_input = v) }
      break
    }
    case 'APP_MCP_CALL': {
      const failed = rng.bool(0.1)
      Object.assign(details, {
        turn_id: rng.uuid4(),
        call_id: `call_${rng.alnum(24)}`,
        tool_name: rng.pick(pool.APPS).action,
        tool_type: 'mcp',
        status: failed ? 'failed' : 'completed',
        ...(failed ? { error_code: 'upstream_timeout', error_message: 'The MCP server did not answer within 30 s' } : {}),
      })
      break
    }
    case 'ACCESS_TOKEN_CREATED':
      Object.assign(details, { status: 'completed' })
      break
    case 'SESSION_ARCHIVED':
      break
  }
  const fields: Record<string, unknown> = { event_type: eventType, client_id: clientId, workspace_id: workspaceId }
  if (clientId === 'CODEX_GITHUB_ACTION' || clientId === 'CODEX_SDK_TS') {
    fields.agent = { type: 'automation', id: `agent_${rng.alnum(24)}`, name: `${rng.pick(pool.REPOSITORIES)} CI` }
  }
  fields.event_details = details
  return { actor: { type: 'ACCOUNT_USER', ...rng.pick(users) }, fields, ...(text ? { text } : {}) }
}

function codexSecurityLog({ rng, users, workspaceId }: BuildContext): BuiltPayload {
  const detailType = rng.pick(pool.SECURITY_DETAIL_TYPES)
  const owner = rng.pick(users)
  const repo = rng.pick(pool.REPOSITORIES)
  const details: Record<string, unknown> = { detail_type: detailType }
  switch (detailType) {
    case 'SCAN_CONFIGURATION_CREATED':
    case 'SCAN_CONFIGURATION_UPDATED':
      Object.assign(details, {
        scan_configuration_id: `scancfg_${rng.alnum(24)}`,
        scan_configuration_fields: {
          scan_type: rng.pick(['FULL_REPOSITORY', 'PULL_REQUEST']),
          owner_id: owner.user_id,
          repo_id: String(rng.between(100_000_000, 999_999_999)),
          repo_url: `https://github.com/${repo}`,
          environment_id: `env_${rng.hex(24)}`,
          state: rng.pick(['ENABLED', 'PAUSED']),
          lookback_days: rng.pick([7, 30, 90]),
        },
      })
      break
    case 'FINDING_UPDATED':
      Object.assign(details, {
        finding_id: `finding_${rng.alnum(24)}`,
        updated_fields: { criticality: rng.pick(pool.FINDING_CRITICALITIES), status: rng.pick(pool.FINDING_STATUSES) },
      })
      break
    case 'FINDING_PR_CREATED':
      Object.assign(details, { finding_id: `finding_${rng.alnum(24)}`, pr_url: `https://github.com/${repo}/pull/${rng.between(10, 9_999)}` })
      break
  }
  return {
    actor: { type: 'ACCOUNT_USER', ...owner },
    fields: { event_type: detailType, client_id: 'CODEX_WEB', workspace_id: workspaceId, event_details: details },
  }
}

// CUSTOM_AGENTS_LOG has no published field list (docs/logs-platform.md §10 only names the topics: lifecycle, runs, memory,
// connector use); this shape mirrors CODEX_LOG's discriminator + details layout.
function customAgentsLog({ rng, users, workspaceId }: BuildContext): BuiltPayload {
  const eventType = rng.pick(pool.AGENT_EVENT_TYPES)
  const details: Record<string, unknown> = { detail_type: eventType }
  let text: TextField | undefined
  switch (eventType) {
    case 'AGENT_CREATED':
    case 'AGENT_UPDATED':
      details.instructions = 'Read new invoices from the shared drive, flag totals above 10,000 EUR and post a summary.'
      text = { get: () => String(details.instructions), set: (v) => (details.instructions = v) }
      break
    case 'AGENT_RUN_STARTED':
      Object.assign(details, { run_id: `run_${rng.alnum(24)}`, trigger: rng.pick(['schedule', 'manual', 'webhook']) })
      break
    case 'AGENT_RUN_COMPLETED':
      Object.assign(details, { run_id: `run_${rng.alnum(24)}`, status: rng.bool(0.9) ? 'succeeded' : 'failed', output_text: rng.pick(pool.ASSISTANT_REPLIES) })
      text = { get: () => String(details.output_text), set: (v) => (details.output_text = v) }
      break
    case 'AGENT_MEMORY_UPDATED':
      Object.assign(details, { memory_id: `mem_${rng.alnum(24)}`, operation: rng.pick(['add', 'update', 'delete']) })
      break
    case 'AGENT_CONNECTOR_CALL': {
      const app = rng.pick(pool.APPS)
      Object.assign(details, { run_id: `run_${rng.alnum(24)}`, connector_name: app.name, action_name: app.action })
      break
    }
  }
  return {
    actor: { type: 'ACCOUNT_USER', ...rng.pick(users) },
    fields: {
      event_type: eventType,
      workspace_id: workspaceId,
      agent: { id: `agent_${rng.alnum(24)}`, name: rng.pick(pool.AGENT_NAMES) },
      event_details: details,
    },
    ...(text ? { text } : {}),
  }
}

function requestMetadata(rng: Rng): RequestMetadata {
  const location = rng.pick(pool.IP_LOCATIONS)
  return {
    client_ip: location.ip,
    client_ip_details: { ...location.details },
    client_user_agent: rng.pick(pool.USER_AGENTS),
    client_ja3: rng.hex(32),
    client_ja4: `t13d1516h2_${rng.hex(12)}_${rng.hex(12)}`,
    destination_hostname: rng.pick(pool.DESTINATION_HOSTNAMES),
  }
}

// Conversation ids seen in the wild start with the creation time in hex seconds (`68cccb0d-…` = Sep 2025).
function timePrefixedId(rng: Rng, createdMicros: EpochMicros): string {
  const seconds = Number(createdMicros / MICROS_PER_SECOND)
  return `${seconds.toString(16).padStart(8, '0')}-${rng.hex(4)}-8${rng.hex(3)}-${rng.hex(4)}-${rng.hex(12)}`
}
