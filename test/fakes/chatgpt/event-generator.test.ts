import { describe, expect, it } from 'vitest'
import { generateEvent, generatedEventId, paddingBytes, serializeEventParts, workspaceUsers } from './event-generator.js'
import { COMPLIANCE_EVENT_TYPES, type ComplianceEvent, type ComplianceEventType } from './event-types.js'
import { MICROS_Z, UUID_V4 } from './test-support.js'

const WORKSPACE = '0b8f3c1e-2d4a-4e6b-9c8d-7f6e5d4c3b2a'
const SAMPLES = 150

function samples(type: ComplianceEventType): ComplianceEvent[] {
  return Array.from({ length: SAMPLES }, (_, seed) => generateEvent(type, seed, { workspaceId: WORKSPACE }))
}

const asRecord = (value: unknown): Record<string, unknown> => {
  expect(typeof value).toBe('object')
  expect(value).not.toBeNull()
  return value as Record<string, unknown>
}

describe('generateEvent: common envelope (docs/logs-platform.md §4)', () => {
  it.each(COMPLIANCE_EVENT_TYPES)('%s carries event_id, type, timestamp, principal, actor and request_metadata', (type) => {
    const users = new Set(workspaceUsers(WORKSPACE).map((u) => u.user_id))
    let withMetadata = 0
    for (const event of samples(type)) {
      expect(event.event_id).toMatch(UUID_V4)
      expect(event.type).toBe(type)
      expect(event.timestamp).toMatch(MICROS_Z)
      expect(event.principal).toEqual({ id: WORKSPACE, type: 'CHATGPT_WORKSPACE' })
      const actor = event.actor
      if (actor.type === 'API_KEY') {
        expect(actor.redacted_id).toMatch(/^sk-\.\.\.[A-Za-z0-9]{4}$/)
        expect(actor).not.toHaveProperty('user_id')
      } else {
        expect(['ACCOUNT_USER', 'EXTERNAL_COLLABORATION_USER']).toContain(actor.type)
        expect(actor.user_id).toMatch(/^user-[A-Za-z0-9]{24}$/)
        expect(actor.user_email).toMatch(/^[^@\s]+@[^@\s]+\.example$/)
        if (actor.type === 'ACCOUNT_USER') expect(users.has(actor.user_id)).toBe(true)
      }
      const md = event.request_metadata
      if (md) {
        withMetadata++
        expect(typeof md.client_ip).toBe('string')
        for (const v of Object.values(md.client_ip_details)) expect(typeof v).toBe('string')
        expect(md.client_ja3).toMatch(/^[0-9a-f]{32}$/)
        expect(md.destination_hostname === null || typeof md.destination_hostname === 'string').toBe(true)
      }
    }
    expect(withMetadata).toBeGreaterThan(0)
  })

  it('is deterministic per seed and distinct across seeds', () => {
    for (const type of COMPLIANCE_EVENT_TYPES) {
      expect(generateEvent(type, 42, { workspaceId: WORKSPACE })).toEqual(generateEvent(type, 42, { workspaceId: WORKSPACE }))
    }
    const ids = new Set(samples('AUDIT_LOG').map((e) => e.event_id))
    expect(ids.size).toBe(SAMPLES)
  })

  it('generatedEventId predicts the event_id without building the event', () => {
    for (const type of COMPLIANCE_EVENT_TYPES) {
      for (const seed of [0, 1, 99, 123456]) expect(generatedEventId(seed)).toBe(generateEvent(type, seed).event_id)
    }
  })

  it('uses the given timestamp with microseconds', () => {
    const event = generateEvent('AUTH_LOG', 5, { timestamp: '2026-07-16T01:02:03.456789+02:00' })
    expect(event.timestamp).toBe('2026-07-15T23:02:03.456789Z')
  })
})

describe('generateEvent: per-type payloads', () => {
  it('CONVERSATION_MESSAGE has message, author, content and conversation', () => {
    const authors = new Set<string>()
    for (const event of samples('CONVERSATION_MESSAGE')) {
      const message = asRecord(event.message)
      expect(message.id).toMatch(UUID_V4)
      expect(message.created_at).toMatch(MICROS_Z)
      const author = asRecord(message.author)
      authors.add(String(author.type))
      if (author.type === 'user') expect(typeof author.client_type).toBe('string')
      else expect(String(author.model)).toMatch(/^gpt-/)
      const content = asRecord(message.content)
      expect(content.type).toBe('text')
      expect(typeof content.value).toBe('string')
      const conversation = asRecord(event.conversation)
      expect(conversation.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      expect(typeof conversation.title).toBe('string')
      expect(conversation.created_at).toMatch(MICROS_Z)
      expect(typeof conversation.is_pinned).toBe('boolean')
      expect(typeof conversation.is_temporary_chat).toBe('boolean')
      if ('gpt_id' in conversation) expect(conversation.gpt_id).toMatch(/^g-[0-9a-f]{32}$/)
      if ('project_id' in conversation) expect(conversation.project_id).toMatch(/^g-p-/)
      if ('previous_message_id' in event) expect(event.previous_message_id).toMatch(UUID_V4)
      for (const file of (message.files as Array<Record<string, unknown>> | undefined) ?? []) expect(file.id).toMatch(/^file-[A-Za-z0-9]{22}$/)
    }
    expect([...authors].sort()).toEqual(['assistant', 'user'])
  })

  it('AUTH_LOG has action_data.action', () => {
    for (const event of samples('AUTH_LOG')) {
      const data = asRecord(event.action_data)
      expect(['login_success', 'login_failed', 'logout_success', 'token_issued', 'signup_success', 'password_reset_initiated']).toContain(data.action)
    }
  })

  it('AUDIT_LOG has action, action_result, action_privilege and action_data; API-key actors list log files', () => {
    let apiKeyActors = 0
    for (const event of samples('AUDIT_LOG')) {
      expect(typeof event.action).toBe('string')
      expect(['SUCCESS', 'BLOCKED', 'ERROR']).toContain(event.action_result)
      expect(['ADMIN', 'STANDARD_USER']).toContain(event.action_privilege)
      asRecord(event.action_data)
      if (event.actor.type === 'API_KEY') {
        apiKeyActors++
        expect(event.action).toBe('LIST_WORKSPACE_LOG_FILES')
        expect(Object.keys(asRecord(event.action_data)).sort()).toEqual(['after', 'event_type', 'limit'])
      }
    }
    expect(apiKeyActors).toBeGreaterThan(0)
  })

  it('APP_LOG has input on requests and the output array on responses', () => {
    for (const event of samples('APP_LOG')) {
      expect(['SERVICE', 'OPEN_API', 'MCP', 'FIRST_PARTY_ECOSYSTEM', 'UNKNOWN']).toContain(event.app_type)
      expect(event.conversation_id === null || typeof event.conversation_id === 'string').toBe(true)
      if (event.log_type === 'request') {
        asRecord(event.input)
        expect(event).not.toHaveProperty('output')
      } else {
        expect(event.log_type).toBe('response')
        const [first] = event.output as Array<Record<string, unknown>>
        const result = asRecord(asRecord(asRecord(first).response).result)
        expect(Array.isArray(result.content)).toBe(true)
        expect(typeof result.isError).toBe('boolean')
        expect(typeof asRecord(asRecord(first).internal).external_call_time_ms).toBe('number')
      }
    }
  })

  it('APP_AUTH_LOG links and unlinks; only an unlink may lack app_id', () => {
    for (const event of samples('APP_AUTH_LOG')) {
      expect(['link', 'unlink']).toContain(event.action)
      expect(typeof event.link_id).toBe('string')
      if (event.app_id === null) expect(event.action).toBe('unlink')
    }
  })

  it.each(['CODEX_LOG', 'CODEX_SECURITY_LOG', 'CUSTOM_AGENTS_LOG'] as const)('%s mirrors event_type in event_details.detail_type', (type) => {
    for (const event of samples(type)) {
      expect(event.workspace_id).toBe(WORKSPACE)
      expect(asRecord(event.event_details).detail_type).toBe(event.event_type)
      if (type !== 'CUSTOM_AGENTS_LOG') expect(String(event.client_id)).toMatch(/^CODEX_/)
    }
  })

  it('CODEX_LOG responses report token usage', () => {
    const responses = samples('CODEX_LOG').filter((e) => e.event_type === 'PROMPT_RESPONSE_RECEIVED')
    expect(responses.length).toBeGreaterThan(0)
    for (const event of responses) {
      const usage = asRecord(asRecord(event.event_details).token_usage)
      expect(Object.keys(usage).sort()).toEqual(['cached_input_tokens', 'input_tokens', 'output_tokens', 'reasoning_output_tokens'])
    }
  })
})

describe('bytesPerEvent', () => {
  it.each(COMPLIANCE_EVENT_TYPES)('%s lines are inflated to exactly the requested size, newline included', (type) => {
    for (const target of [3000, 20_000]) {
      for (let seed = 0; seed < 20; seed++) {
        const event = generateEvent(type, seed, { bytesPerEvent: target })
        expect(Buffer.byteLength(JSON.stringify(event)) + 1).toBe(target)
      }
    }
  })

  it('serializeEventParts is byte-identical to the padded event', () => {
    for (const type of COMPLIANCE_EVENT_TYPES) {
      for (const bytesPerEvent of [undefined, 100, 5000]) {
        const opts = bytesPerEvent === undefined ? {} : { bytesPerEvent }
        const parts = serializeEventParts(type, 7, opts)
        const joined = parts.head + paddingBytes(parts.paddingLength).toString('latin1') + parts.tail
        expect(joined).toBe(JSON.stringify(generateEvent(type, 7, opts)))
      }
    }
  })
})
